"""The pages of dgov.payments (mounted at the site's root): the payer's, the workbench's, the provider's
callback, and the local sandbox provider (its API and cashier) under /sandbox/payments/."""

from django.urls import path

from dgov.payments import sandbox, views

app_name = "payments"

urlpatterns = [
    path("payments/callback/", views.callback, name="callback"),
    path("payments/orders/<str:number>/pay/", views.pay, name="pay"),
    path("payments/orders/<str:number>/return/", views.payment_return, name="return"),
    path("payments/orders/<str:number>/receipt/", views.receipt, name="receipt"),
    path("payments/orders/<str:number>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("workbench/payments/", views.order_list, name="order_list"),
    path("workbench/payments/reconciliation/", views.reconciliation, name="reconciliation"),
    path("workbench/payments/reconciliation/<int:pk>/", views.reconciliation_detail, name="reconciliation_detail"),
    path("workbench/payments/<str:number>/refund/", views.refund, name="refund"),
    path("workbench/payments/<str:number>/cancel/", views.cancel, name="cancel"),
    path("workbench/payments/<str:number>/fees/", views.set_items, name="set_items"),
    path("sandbox/payments/api/payments", sandbox.api_create, name="sandbox_create"),
    path("sandbox/payments/api/payments/<str:out_trade_no>", sandbox.api_get, name="sandbox_get"),
    path("sandbox/payments/api/refunds", sandbox.api_refund, name="sandbox_refund"),
    path("sandbox/payments/api/statement", sandbox.api_statement, name="sandbox_statement"),
    path("sandbox/payments/pay", sandbox.page_pay, name="sandbox_pay"),
    path("sandbox/payments/cashier/<str:ref>/", sandbox.cashier, name="sandbox_cashier"),
]
