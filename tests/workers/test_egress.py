"""Webhook SSRF (issue 15, item 2): a party's webhook may not make the server call loopback, private,
link-local or metadata addresses — not at creation, not at connect time after the name resolves
elsewhere (DNS rebinding) — unless the operator allows a private network; what failed is told to the
party generically.

The truth here is the IANA special-purpose registries as written out below, not the code's ranges.
"""

from __future__ import annotations

import socket

import pytest

from deconfliction.workers.webhooks import Backoff, Dispatcher
from deconfliction.workers.egress import AddressRefused, EgressPolicy, PinnedPost
from deconfliction.errors import InvalidInput

from builders import circle, make_system
from hookserver import HookServer

# What the attacker tried, and what else the registries set aside.
FORBIDDEN = [
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://10.0.0.1/",
    "http://127.0.0.1:22/",
    "http://localhost:8000/v1/health",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "https://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "https://[2002:a9fe:a9fe::]/",  # 6to4 of 169.254.169.254
    "https://0.0.0.0/",
    "https://2130706433/",  # 127.0.0.1 written as one number
    "https://0x7f.1/",
    "https://100.64.0.1/",  # carrier-grade NAT
    "https://100.100.100.200/",  # Alibaba metadata
    "https://192.0.0.192/",  # Oracle metadata
    "https://172.16.5.4/",
    "https://192.168.1.1/",
    "https://[fd00:ec2::254]/",  # AWS metadata over IPv6
    "https://[fe80::1]/",
    "https://224.0.0.1/",
]


def policy_resolving(answers, allow=()):
    """A policy whose resolver answers from `answers` (a list, consumed one call at a time) for any name."""
    calls = []

    def resolve(host, port):
        calls.append(host)
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return list(answer)

    policy = EgressPolicy.parse(allow, resolver=resolve)
    return policy, calls


@pytest.fixture
def strict_system(tmp_path):
    system, clock = make_system(tmp_path)
    system.egress = EgressPolicy()  # no allow-list: what a default server does
    return system, clock


@pytest.mark.parametrize("url", FORBIDDEN)
def test_a_webhook_to_a_non_public_address_is_refused_at_creation(strict_system, url):
    system, _ = strict_system
    with pytest.raises(InvalidInput) as refused:
        system.add_endpoint("red", url)
    assert refused.value.field == "url"
    assert system.endpoints("red") == []


@pytest.mark.parametrize("url, why", [
    ("https://hooks.example.org:99999/x", "port"),
    ("https://hooks.example.org:0/x", "port"),
    ("https://hooks.example.org/x\r\nX-Injected: 1", "control"),
    ("https://hooks.example.org/a b", "space"),
    ("https://user:pw@hooks.example.org/x", "credentials"),
    ("ftp://hooks.example.org/x", "http"),
])
def test_a_malformed_webhook_url_is_refused_naming_the_field(strict_system, url, why):
    system, _ = strict_system
    with pytest.raises(InvalidInput) as refused:
        system.add_endpoint("red", url)
    assert refused.value.field == "url" and why in str(refused.value)


def test_an_empty_event_kind_is_refused(strict_system):
    system, _ = strict_system
    system.egress = policy_resolving([["93.184.216.34"]])[0]
    with pytest.raises(InvalidInput) as refused:
        system.add_endpoint("red", "https://hooks.example.org/x", kinds=["notice.", ""])
    assert refused.value.field == "kinds.1"


def test_a_name_that_resolves_to_a_private_address_is_refused_at_creation(strict_system):
    system, _ = strict_system
    system.egress, _ = policy_resolving([["93.184.216.34", "10.1.2.3"]])  # one bad address is enough
    with pytest.raises(InvalidInput) as refused:
        system.add_endpoint("red", "https://hooks.example.org/x")
    assert "10.1.2.3" in str(refused.value)


def test_the_operator_may_allow_a_private_receiver_network(strict_system):
    system, _ = strict_system
    system.egress = EgressPolicy.parse(["10.1.2.0/24"])
    assert system.add_endpoint("red", "https://10.1.2.3/hook").url == "https://10.1.2.3/hook"
    with pytest.raises(InvalidInput):
        system.add_endpoint("red", "https://10.1.3.3/hook")


def test_dns_rebinding_after_creation_is_refused_at_connect_time_and_nothing_connects(strict_system):
    system, clock = strict_system
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        # Public when the endpoint is created, loopback (where the listener is) when the server connects.
        system.egress, calls = policy_resolving([["93.184.216.34"], ["127.0.0.1"]])
        system.add_endpoint("red", f"https://rebind.example:{port}/hook")
        system.file_notice("blue", "pact", [circle(clock)])
        with Dispatcher(system, backoff=Backoff(jitter=0), timeout_s=2) as dispatcher:
            report = dispatcher.run_once()
        assert calls == ["rebind.example", "rebind.example"]
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    finally:
        listener.close()
    (outcome,) = report.outcomes
    assert outcome.state == "pending" and outcome.error == "refused: the receiver's address is not a public one"
    (delivery,) = system.deliveries("red")
    assert "127.0.0.1" not in delivery.last_error and str(port) not in delivery.last_error


def test_the_transport_connects_to_the_address_it_checked_with_the_name_in_host(tmp_path):
    # hooks.test resolves nowhere but in this policy: a request that reaches the hook server went to the
    # checked address, not to whatever a second lookup would have answered.
    with HookServer() as hook:
        port = int(hook.url.rsplit(":", 1)[1].split("/", 1)[0])
        policy, calls = policy_resolving([["127.0.0.1"]], allow=["127.0.0.1/32"])
        post = PinnedPost(policy)
        try:
            status = post(f"http://hooks.test:{port}/hooks/deconfliction", b"{}", {"Content-Type": "application/json"}, 5)
        finally:
            post.close()
    assert status == 401  # unsigned body: the hook server refuses it, but it was reached
    assert calls == ["hooks.test"]
    with pytest.raises(AddressRefused):
        PinnedPost(policy_resolving([["10.0.0.1"]], allow=["127.0.0.1/32"])[0])(f"http://hooks.test:{port}/", b"{}", {}, 5)


def test_a_failed_attempt_tells_the_party_nothing_about_what_answered(tmp_path):
    system, clock = make_system(tmp_path)  # loopback allowed (tests/conftest.py), as an operator may
    with HookServer() as hook:
        url = hook.url
    system.add_endpoint("red", url)  # nothing listens there any more
    system.file_notice("blue", "pact", [circle(clock)])
    with Dispatcher(system, backoff=Backoff(jitter=0), timeout_s=2) as dispatcher:
        (outcome,) = dispatcher.run_once().outcomes
    assert outcome.state == "pending"
    assert "Connect" not in outcome.error and "refused" not in outcome.error.lower() and "Errno" not in outcome.error
    assert outcome.error == "no answer from the receiver (connection, TLS or timeout); details are in the server's log"


@pytest.mark.parametrize("text", ["10.0.0.0/8", "127.0.0.1", "fd00::/8"])
def test_the_allow_list_reads_networks_from_the_environment(text):
    policy = EgressPolicy.from_env({"DECONFLICTION_WEBHOOK_ALLOW": f"{text}, 192.168.7.0/24"})
    assert len(policy.allow) == 2


def test_a_bad_allow_list_entry_is_refused_naming_the_setting():
    with pytest.raises(InvalidInput) as refused:
        EgressPolicy.parse(["10.0.0.0/33"])
    assert refused.value.field == "webhook_allow"


def test_serve_refuses_a_bad_allow_list_entry_before_it_starts(tmp_path):
    from typer.testing import CliRunner

    from deconfliction.cli import app

    result = CliRunner().invoke(app, ["serve", "--database", str(tmp_path / "x.db"), "--webhook-allow", "10.0.0.0/33"])
    assert result.exit_code == 2 and "webhook_allow" in result.output
