"""Node federation in a real browser against `dgov serve`: the operator runs `dgov sync pull` on the
demo node, whose demo upstream peer (江西省, paired by the demo data) has no node running: the run
fails and the centre's administrator sees the failure with its reason, the lag columns and this
node's key fingerprint on the status page (数据平台 → 节点级联). The administrator then pairs a
county node through the form: a malformed key is refused in Chinese, a real SM2 key is accepted.
The big-data centre's reviewer reads the status page but may not pair. Pages pass axe-core."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dgov.crypto.primitives import SM2PrivateKey

from .support import axe_violations, format_violations, screenshot

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
STATUS = "/data/federation/"
PEERS = "/data/federation/peers/"


def dgov(server, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DGOV_", "DJANGO_", "PROMETHEUS_"))}
    env.update(DGOV_DATA_DIR=str(server.data_dir), DGOV_DATABASE_URL=server.database_url, DGOV_LOG_LEVEL="WARNING")
    return subprocess.run([str(BIN / "dgov"), *args], env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_status_page_shows_a_failed_pull_and_the_admin_pairs_a_node(browsing, server, admin_state,
                                                                     data_centre_state):
    pulled = dgov(server, "sync", "pull", "--peer", "360000")
    assert pulled.returncode == 1 and "360000:catalog failed" in pulled.stdout, pulled.stdout + pulled.stderr

    page = browsing.page(state=admin_state)
    page.goto("/workbench/data/")
    page.get_by_role("link", name="节点级联").first.click()
    expect(page.get_by_role("heading", name="节点级联", level=1)).to_be_visible()
    expect(page.locator(".node-fingerprint")).to_have_text(dgov(server, "node", "show").stdout.split(
        "fingerprint (SM3): ")[1].splitlines()[0])
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("360000:catalog")
    expect(alert).to_contain_text("cannot be reached")
    row = page.locator("#subscriptions tbody tr").filter(has_text="江西省数据共享交换平台（演示）")
    expect(row).to_contain_text("catalog")
    expect(page.locator("#runs tbody tr").first).to_contain_text("失败")
    expect(page.locator("#publications")).to_contain_text("归集演示")
    screenshot(page, "federation-status")

    page.goto(PEERS + "add/")
    page.get_by_label("节点编码").fill("360681")
    page.get_by_label("名称").fill("贵溪市（端到端测试）")
    page.get_by_label("角色").select_option("downstream")
    page.get_by_label("基础 URL").fill("http://127.0.0.1:8103")
    page.get_by_label("SM2 公钥（PEM）").fill("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("不是 PEM 格式的 SM2 公钥。").first).to_be_visible()
    page.get_by_label("SM2 公钥（PEM）").fill(SM2PrivateKey.generate().public_key().to_pem())
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("heading", name="360681 贵溪市（端到端测试）")).to_be_visible()
    page.goto(PEERS)
    expect(page.locator("#object-table")).to_contain_text("贵溪市（端到端测试）")
    screenshot(page, "federation-peers")

    reviewer = browsing.page(state=data_centre_state)
    reviewer.goto(STATUS)
    expect(reviewer.get_by_role("heading", name="节点级联", level=1)).to_be_visible()
    assert reviewer.goto(PEERS + "add/").status == 403

    for url in (STATUS, PEERS):
        checked = browsing.page(state=admin_state, bypass_csp=True)
        assert checked.goto(url).status == 200
        violations = axe_violations(checked)
        assert not violations, format_violations(checked.url, violations)
