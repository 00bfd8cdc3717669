"""Triage through the database: the shipped starter model, the API, training and evaluating."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kefu.triage import services


def test_api_suggests_with_rules_and_names_the_model(api_client, agent):
    r = api_client(agent).post("/triage/suggest", {"title": "宽带断网三天了", "description": "光猫LOS灯红，再不修就找媒体曝光"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["kind"]["label"] == "fault" and body["category"]["label"].startswith("fault-")
    assert body["category"]["name"] and body["severity"]["final"] == "major"
    assert body["flags"] == ["complaint_coordinator"] and body["rules"][0]["matched"] in {"媒体", "曝光"}
    assert "generated demo data" in body["model"]["trained_on"]
    assert api_client(agent).post("/triage/suggest", {"title": ""}).status_code == 422


def test_cli_predict_prints_json(db):
    out = StringIO()
    call_command("triage", "predict", "申请套餐变更", stdout=out)
    result = json.loads(out.getvalue())
    assert (result["kind"]["label"], result["category"]["label"]) == ("business", "biz-plan-change")
    assert 0 < result["kind"]["confidence"] <= 1 and "套餐" in result["category"]["words"]


def test_train_writes_a_versioned_model_that_is_then_used(db, settings, tmp_path):
    from kefu.demo.seed import generate

    settings.DATA_DIR = tmp_path
    generate(customers=20, orders=300, seed=3)
    out = StringIO()
    call_command("triage", "train", stdout=out)
    written = list((tmp_path / "models").glob("triage-*.joblib"))
    assert len(written) == 1 and str(written[0]) in out.getvalue()
    assert services.model_path() == written[0]
    assert services.current_model().trained_on == "work orders in this database"
    report = StringIO()
    call_command("triage", "evaluate", stdout=report)
    assert "Trained on work orders in this database" in report.getvalue() and "precision" in report.getvalue()


def test_training_needs_enough_handled_orders(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    with pytest.raises(CommandError, match="Too few"):
        call_command("triage", "train", stdout=StringIO())
