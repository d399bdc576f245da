"""What a batch hands each worker: its settings reach every job (session/batch.py plan_jobs)."""

from dataclasses import replace

from smallcoder.session.batch import BatchSettings, plan_jobs
from smallcoder.session.batch_records import BatchOutput


def test_steps_and_tries_reach_every_job(shop_task, tmp_path):
    tasks = [replace(shop_task, instance_id="a"), replace(shop_task, instance_id="b")]
    settings = BatchSettings(out=tmp_path / "out", models=["gold", "scripted:x.json"], max_steps=4, tries=3)
    jobs = plan_jobs(tasks, settings, BatchOutput(tmp_path / "out"), tmp_path)
    assert len(jobs) == 4 and {(j.max_steps, j.tries) for j in jobs} == {(4, 3)}
