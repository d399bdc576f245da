"""What a batch hands each worker: its settings reach every job (session/batch.py plan_jobs)."""

import time
from contextlib import contextmanager
from dataclasses import replace

import smallcoder.session.setup as setup
from smallcoder.session.batch import BatchSettings, plan_jobs
from smallcoder.session.batch_instance import FIX_SHARE, EventLog, Job, _fix
from smallcoder.session.batch_records import BatchOutput


def test_steps_and_tries_reach_every_job(shop_task, tmp_path):
    tasks = [replace(shop_task, instance_id="a"), replace(shop_task, instance_id="b")]
    settings = BatchSettings(out=tmp_path / "out", models=["gold", "scripted:x.json"], max_steps=4, tries=3,
                             time_limit_s=600)
    jobs = plan_jobs(tasks, settings, BatchOutput(tmp_path / "out"), tmp_path)
    assert len(jobs) == 4 and {(j.max_steps, j.tries, j.time_limit_s) for j in jobs} == {(4, 3, 600)}


def test_the_fix_stops_itself_before_the_driver_kills_the_instance(shop_task, tmp_path, monkeypatch, capsys):
    """The agent's own time limit is FIX_SHARE of the instance's, less what the instance already spent
    (its checkout): the change it leaves is then evaluated instead of lost to the kill."""
    seen = []

    class Session:
        warning = ""

        def fix(self, task, repo, options, observers):
            seen.append(options)

    @contextmanager
    def fake_open_session(config, home):
        yield Session()

    monkeypatch.setattr(setup, "open_session", fake_open_session)
    job = Job(task=shop_task.to_json(), model="scripted:x.json", label="x", out=str(tmp_path), base_dir=str(tmp_path),
              max_steps=4, time_limit_s=600)
    spent = 30.0
    _fix(job, shop_task, tmp_path, EventLog(open(tmp_path / "log", "w")), time.perf_counter() - spent)
    limit = seen[0].agent.time_limit_s
    assert 600 * FIX_SHARE - spent - 5 < limit <= 600 * FIX_SHARE - spent and seen[0].agent.max_steps == 4
    _fix(replace(job, time_limit_s=None), shop_task, tmp_path, EventLog(open(tmp_path / "log", "w")), 0.0)
    assert seen[1].agent.time_limit_s is None  # no driver limit: none for the fix either
