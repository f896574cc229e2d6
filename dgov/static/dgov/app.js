// dgov: progressive enhancement only; every page works without JavaScript.
document.documentElement.classList.add("js");
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.classList && el.classList.contains("js-autosubmit") && el.form) {
    el.form.submit();
  }
});
// Confirmation for dangerous buttons: <button data-confirm="…">
document.addEventListener("click", function (event) {
  var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
// Move focus to the error summary when a form comes back with errors.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
});
