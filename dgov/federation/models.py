"""Federation between nodes (节点级联): the same software runs the province, the cities and the
counties; each node pairs with its neighbours and pulls catalogs and datasets from them (docs/federation.md).

- `Peer`: another node, paired by exchanging SM2 public keys and base URLs.
- `Publication` (source side): a dataset of this node that one peer may pull (or that this node
  pushes to it). The catalog feed (published entries) is open to every paired peer.
- `Subscription` (target side): a feed of a peer that this node copies, into a local dataset or,
  for the catalog, into `RemoteEntry` rows; with its checkpoint and status.
- `SyncRun`: one pull, push or received push, with its counts.
- `CatalogFeedItem`: this node's catalog feed, the published entries numbered by a change sequence
  of the feed's own (withdrawn entries stay, marked, so that withdrawals travel too).
- `NodeNonce`: nonces of signed requests already seen, to refuse replays.

Federation is the big-data centre's business: peers, publications and subscriptions are reached
only with permissions of scope `all` (a region or department grant sees none of them).
"""

import re

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dgov.aggregation.models import Dataset
from dgov.core.models import BaseModel
from dgov.core.permissions import RestrictedQuerySet, ScopeSpec

NODE_CODE_RE = r"^[0-9]{2,12}$"
node_code_validator = RegexValidator(NODE_CODE_RE, _("A node code is its region code: 2 to 12 digits."))
#: a feed's name: "catalog", or a dataset's resource code (101001001/000001)
FEED_RE = re.compile(r"^(catalog|[1-3][0-9]{8}/[0-9]{6})$")
CATALOG_FEED = "catalog"

#: every federation model is the centre's: no region or department dimension, so only `all` grants see it
CENTRE_SCOPE = ScopeSpec()


class PeerRole(models.TextChoices):
    UPSTREAM = "upstream", _("upstream (e.g. the province)")
    DOWNSTREAM = "downstream", _("downstream (e.g. a county)")


class Peer(BaseModel):
    """Another node this node exchanges data with."""

    code = models.CharField(_("node code"), max_length=12, unique=True, validators=[node_code_validator])
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=10, choices=PeerRole.choices)
    base_url = models.URLField(_("base URL"), max_length=200,
                               help_text=_("Where the peer's node answers, e.g. https://data.jiangxi.gov.cn"))
    public_key_pem = models.TextField(_("SM2 public key (PEM)"), max_length=2000)
    enabled = models.BooleanField(_("enabled"), default=True)
    paired_at = models.DateTimeField(_("paired at"), null=True, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = CENTRE_SCOPE

    class Meta:
        verbose_name = _("peer node")
        verbose_name_plural = _("peer nodes")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Publication(BaseModel):
    """A dataset of this node that `peer` may pull (and that `dgov sync push` sends it)."""

    peer = models.ForeignKey(Peer, models.CASCADE, related_name="publications", verbose_name=_("peer node"))
    dataset = models.ForeignKey(Dataset, models.PROTECT, related_name="publications", verbose_name=_("dataset"))
    # What the peer has acknowledged (its checkpoint, as the last push learnt it), for the status page.
    remote_checkpoint = models.PositiveBigIntegerField(_("peer's checkpoint"), default=0)
    last_push_at = models.DateTimeField(_("last push"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = CENTRE_SCOPE

    class Meta:
        verbose_name = _("published dataset")
        verbose_name_plural = _("published datasets")
        ordering = ["peer__code", "dataset__entry__code"]
        constraints = [models.UniqueConstraint(fields=["peer", "dataset"], name="uniq_federation_publication")]

    def __str__(self):
        return f"{self.dataset.entry.code} → {self.peer.code}"

    @property
    def feed(self) -> str:
        return self.dataset.entry.code


class Subscription(BaseModel):
    """A peer's feed copied here: the catalog (into RemoteEntry) or a dataset (into `dataset`)."""

    class Kind(models.TextChoices):
        CATALOG = "catalog", _("catalog")
        DATASET = "dataset", _("dataset")

    peer = models.ForeignKey(Peer, models.CASCADE, related_name="subscriptions", verbose_name=_("peer node"))
    feed = models.CharField(_("feed"), max_length=20, help_text=_("“catalog”, or the peer's resource code."))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    dataset = models.ForeignKey(Dataset, models.PROTECT, null=True, blank=True, related_name="subscriptions",
                                verbose_name=_("local dataset"))
    enabled = models.BooleanField(_("enabled"), default=True)
    # The catalog's checkpoint lives here, next to the RemoteEntry rows it describes (same database);
    # a dataset's lives in the data store beside its rows, and this is a copy for the status page.
    checkpoint = models.PositiveBigIntegerField(_("checkpoint"), default=0)
    source_seq = models.PositiveBigIntegerField(_("source's latest sequence"), default=0)
    rows_applied = models.PositiveBigIntegerField(_("changes applied"), default=0)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    is_demo = models.BooleanField(_("demo data"), default=False)

    scope = CENTRE_SCOPE

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["peer__code", "feed"]
        constraints = [models.UniqueConstraint(fields=["peer", "feed"], name="uniq_federation_subscription"),
                       models.UniqueConstraint(fields=["dataset"], name="uniq_federation_subscription_dataset")]

    def __str__(self):
        return f"{self.peer.code}:{self.feed}"

    @property
    def lag(self) -> int:
        """Changes the source had (when last asked) that are not applied here."""
        return max(0, self.source_seq - self.checkpoint)

    @property
    def checkpoint_name(self) -> str:
        return f"{self.peer.code}:{self.feed}"


class SyncRun(models.Model):
    """One synchronisation. A run whose process died (kill -9) stays `running` until the next run of
    the same feed marks it `interrupted`; everything it committed batch by batch stays applied."""

    class Direction(models.TextChoices):
        PULL = "pull", _("pull")
        PUSH = "push", _("push")
        RECEIVED = "received", _("received push")

    class Status(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        INTERRUPTED = "interrupted", _("interrupted")

    peer = models.ForeignKey(Peer, models.CASCADE, related_name="runs", verbose_name=_("peer node"))
    feed = models.CharField(_("feed"), max_length=20)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    subscription = models.ForeignKey(Subscription, models.SET_NULL, null=True, blank=True, related_name="runs",
                                     verbose_name=_("subscription"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RUNNING)
    runner = models.CharField(_("runner"), max_length=100, blank=True)
    started_at = models.DateTimeField(_("started"), db_index=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    from_seq = models.PositiveBigIntegerField(_("from sequence"), default=0)
    to_seq = models.PositiveBigIntegerField(_("to sequence"), default=0)
    batches = models.PositiveIntegerField(_("batches"), default=0)
    rows_applied = models.PositiveIntegerField(_("changes applied"), default=0)
    rows_deleted = models.PositiveIntegerField(_("deletions applied"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)

    scope = CENTRE_SCOPE
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["peer", "feed", "status"], name="federation_run_status")]

    def __str__(self):
        return f"{self.peer.code}:{self.feed} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def rows_per_second(self) -> float | None:
        if self.finished_at is None or not self.rows_applied:
            return None
        seconds = (self.finished_at - self.started_at).total_seconds()
        return round(self.rows_applied / seconds, 1) if seconds > 0 else None


class RemoteEntry(BaseModel):
    """A peer's published catalog entry, as its catalog feed carried it."""

    peer = models.ForeignKey(Peer, models.CASCADE, related_name="remote_entries", verbose_name=_("peer node"))
    code = models.CharField(_("resource code"), max_length=20)
    name = models.CharField(_("resource name"), max_length=200)
    department = models.CharField(_("provider department"), max_length=100, blank=True)
    sharing_type = models.CharField(_("sharing type"), max_length=16, blank=True)
    open_type = models.CharField(_("open type"), max_length=16, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    items = models.JSONField(_("data items"), default=list, blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    withdrawn = models.BooleanField(_("withdrawn"), default=False)
    source_seq = models.PositiveBigIntegerField(_("feed sequence"), default=0)

    scope = CENTRE_SCOPE

    class Meta:
        verbose_name = _("remote catalog entry")
        verbose_name_plural = _("remote catalog entries")
        ordering = ["peer__code", "code"]
        default_permissions = ("view",)
        constraints = [models.UniqueConstraint(fields=["peer", "code"], name="uniq_federation_remote_entry")]

    def __str__(self):
        return f"{self.code} {self.name}"


class CatalogFeedItem(models.Model):
    """One entry in this node's catalog feed, at the sequence of its latest change."""

    code = models.CharField(max_length=20, unique=True)
    version = models.PositiveIntegerField()
    seq = models.PositiveBigIntegerField(unique=True)
    withdrawn = models.BooleanField(default=False)
    snapshot = models.JSONField(default=dict)

    class Meta:
        default_permissions = ()


class CatalogFeedState(models.Model):
    """The catalog feed's last sequence: one row, locked while the feed is brought up to date, so that
    sequence order is commit order."""

    last_seq = models.PositiveBigIntegerField(default=0)

    class Meta:
        default_permissions = ()


class NodeNonce(models.Model):
    """A signed request's nonce, kept for twice the timestamp window; the unique constraint refuses
    the second use, whichever worker sees it."""

    node = models.CharField(max_length=12)
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        default_permissions = ()
        constraints = [models.UniqueConstraint(fields=["node", "nonce"], name="uniq_federation_nonce")]
