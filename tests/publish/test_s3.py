"""S3 publishing against a real SeaweedFS with real credentials: the plan, headers, dry runs, the delete
fence, upload order, failures and error messages. (Interruptions: test_publish_interrupt.py.)"""
from __future__ import annotations

import gzip
import threading
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError
from botocore.stub import ANY, Stubber

from islet.publish import s3
from islet.publish.plan import GROUPS, Plan, PublishError, S3Target, Upload, group_of, local_files, plan
from support.publish import local_state, publish, remote_objects, remote_state, site_copy
from support.browser import LocalServer
from support.servers import free_ports


@pytest.fixture
def site(production_site, tmp_path):
    return site_copy(production_site, tmp_path / "site")


def target_args(seaweedfs, bucket: str, prefix: str = "www") -> list[str]:
    return ["--target", f"s3://{bucket}/{prefix}", "--endpoint-url", seaweedfs.endpoint]


# ------------------------------------------------------------------------------------------ the server

def test_the_server_rejects_wrong_credentials(seaweedfs):
    bucket = seaweedfs.new_bucket()
    with pytest.raises(ClientError) as unknown:
        seaweedfs.client(access_key="nobody").list_objects_v2(Bucket=bucket)
    assert unknown.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    with pytest.raises(ClientError) as wrong:
        seaweedfs.client(secret_key="not-the-secret").list_objects_v2(Bucket=bucket)
    assert wrong.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


# ------------------------------------------------------------------------------------- publish, again

def test_publish_makes_the_bucket_equal_the_build_and_a_second_run_uploads_nothing(site, seaweedfs):
    bucket = seaweedfs.new_bucket()
    client = seaweedfs.client()
    build = site.root / "build"
    (build / "about.html.gz").write_bytes(gzip.compress((build / "about.html").read_bytes(), 6))
    (build / "about.html.br").write_bytes(b"not used on S3")
    started = time.perf_counter()
    first = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket))
    first_seconds = time.perf_counter() - started
    assert first.returncode == 0, first.stderr
    local = local_files(build)
    assert f"{len(local)} files to upload" in first.stdout and "Published" in first.stdout

    objects = remote_objects(client, bucket, "www")
    assert set(objects) == set(local)                                  # no .gz/.br objects
    for key, answer in objects.items():
        assert answer["Metadata"]["md5"] == local[key].md5
        assert s3.stored_headers(answer) == local[key].headers
    assert objects["about.html"]["ContentEncoding"] == "gzip"
    assert objects["index.html"]["ContentType"] == "text/html; charset=utf-8"
    assert remote_state(client, bucket, "www") == local_state(build)    # what readers get, decompressed
    served = client.get_object(Bucket=bucket, Key="www/about.html")["Body"].read()
    assert served == (build / "about.html.gz").read_bytes()            # the build's own gzip body

    before = {key: (answer["ETag"], answer["LastModified"]) for key, answer in objects.items()}
    started = time.perf_counter()
    second = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket))
    second_seconds = time.perf_counter() - started
    assert second.returncode == 0, second.stderr
    assert "no changes required" in second.stdout and "upload" not in second.stdout
    after = {key: (answer["ETag"], answer["LastModified"]) for key, answer in
             remote_objects(client, bucket, "www").items()}
    assert after == before
    size = sum(f.size for f in local.values())
    print(f"\nfirst publish: {len(local)} files, {size} bytes, {first_seconds:.2f} s; "
          f"second: 0 uploads, {second_seconds:.2f} s")


ODD_NAMES = ["Q&A.png", "café.txt", "a b.pdf", "C++ notes.txt", "50%.txt", "x#y.txt", "q?.txt", "тест.txt",
             "emoji-😀.txt", "plus+sign.txt", "semi;colon.txt", "quote'd.txt"]


def test_files_of_any_name_are_published_under_their_names_and_a_second_run_uploads_nothing(site, seaweedfs):
    """Names an author's static files may have (`&`, spaces, `+`, `%`, `#`, `?`, non-ASCII): each is an object
    under its own name (S3 keys are any UTF-8, URL-encoded on the wire), equal to the file; the second run finds
    every one unchanged; a deleted file is deleted, and nothing else."""
    bucket = seaweedfs.new_bucket()
    client = seaweedfs.client()
    build = site.root / "build"
    (build / "files").mkdir()
    for number, name in enumerate(ODD_NAMES):
        (build / "files" / name).write_bytes(f"file {number}: {name}\n".encode())
    first = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket))
    assert first.returncode == 0, first.stderr
    state = remote_state(client, bucket, "www")
    assert {key for key in state if key.startswith("files/")} == {f"files/{name}" for name in ODD_NAMES}
    assert state == local_state(build)
    second = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket))
    assert second.returncode == 0 and "no changes required" in second.stdout, second.stdout + second.stderr
    (build / "files" / "a b.pdf").unlink()
    third = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket))
    assert third.returncode == 0, third.stderr
    assert set(remote_state(client, bucket, "www")) == set(state) - {"files/a b.pdf"}


def test_dry_run_prints_the_plan_and_changes_nothing(site, seaweedfs):
    bucket = seaweedfs.new_bucket()
    client = seaweedfs.client()
    dry = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "upload  index.html" in dry.stdout and "new" in dry.stdout and "Dry run: nothing was changed." in dry.stdout
    assert remote_objects(client, bucket, "www") == {}

    assert publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket)).returncode == 0
    build = site.root / "build"
    (build / "about.html").write_text((build / "about.html").read_text().replace("</main>", "<p>new</p></main>"))
    for gone in build.glob("tags.html*"):                             # the page and its .gz/.br variants
        gone.unlink()
    before = remote_state(client, bucket, "www")
    dry = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket), "--dry-run")
    assert dry.returncode == 0
    lines = [line.split() for line in dry.stdout.splitlines()]
    assert ["upload", "about.html", "content", "differs"] in lines and ["delete", "tags.html"] in lines
    assert "1 file to upload" in dry.stdout and "1 to delete" in dry.stdout
    assert remote_state(client, bucket, "www") == before


def test_changed_headers_alone_are_uploaded_again(site, seaweedfs):
    bucket = seaweedfs.new_bucket()
    client = seaweedfs.client()
    assert publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket)).returncode == 0
    head = client.head_object(Bucket=bucket, Key="www/archives.html")
    client.copy_object(Bucket=bucket, Key="www/archives.html", CopySource={"Bucket": bucket, "Key": "www/archives.html"},
                       MetadataDirective="REPLACE", Metadata=head["Metadata"], ContentType=head["ContentType"],
                       ContentEncoding=head.get("ContentEncoding", ""), CacheControl="max-age=3600")
    again = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket))
    uploads = [line.split() for line in again.stdout.splitlines() if line.split()[:1] == ["upload"]]
    assert uploads == [["upload", "archives.html", "headers", "differ"]]
    assert client.head_object(Bucket=bucket, Key="www/archives.html")["CacheControl"] != "max-age=3600"


def test_deletes_are_fenced_and_nothing_outside_the_prefix_is_touched(site, seaweedfs):
    bucket = seaweedfs.new_bucket()
    client = seaweedfs.client()
    for i in range(5):
        client.put_object(Bucket=bucket, Key=f"www/old/{i}.html", Body=b"old")
    client.put_object(Bucket=bucket, Key="elsewhere/keep.html", Body=b"keep")
    client.put_object(Bucket=bucket, Key="www-two/keep.html", Body=b"keep")

    fenced = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket), "--max-deletes", "3")
    assert fenced.returncode == 1
    assert "--max-deletes=5" in fenced.stderr and "none of them will be deleted" in fenced.stderr
    keys = set(remote_objects(client, bucket, "www"))
    assert {f"old/{i}.html" for i in range(5)} <= keys and "index.html" in keys     # uploads done, no deletes

    done = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket), "--max-deletes", "5")
    assert done.returncode == 0, done.stderr
    assert set(remote_objects(client, bucket, "www")) == set(local_files(site.root / "build"))
    assert set(remote_objects(client, bucket, "elsewhere")) == {"keep.html"}
    assert set(remote_objects(client, bucket, "www-two")) == {"keep.html"}


def test_a_wrong_prefix_or_a_gutted_build_is_refused_before_any_change(site, seaweedfs):
    """The relative fence: the bucket root given for a site published under live/, then a build that lost most of
    its pages. Both refused before any change, with the figures and the flag; the flag lets the second through."""
    bucket = seaweedfs.new_bucket()
    client = seaweedfs.client()
    assert publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket, "live")).returncode == 0
    live = remote_state(client, bucket, "live")

    root = ["--target", f"s3://{bucket}", "--endpoint-url", seaweedfs.endpoint]
    wrong = publish(site.root, seaweedfs.env(), *root)
    assert wrong.returncode == 1 and "holds another islet site under live/" in wrong.stderr, wrong.stderr
    assert "--claim-target" in wrong.stderr and "Traceback" not in wrong.stderr
    claimed = publish(site.root, seaweedfs.env(), *root, "--claim-target")     # the share fence still holds
    assert claimed.returncode == 1 and "refused before any change" in claimed.stderr
    assert "--max-delete-share=1" in claimed.stderr
    assert set(remote_objects(client, bucket)) == {f"live/{key}" for key in live}    # nothing uploaded or deleted

    build = site.root / "build"
    pages = sorted(p for p in build.rglob("*.html") if p.name != "index.html")
    for page in pages[: len(pages) * 3 // 4]:
        page.unlink()
    dry = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket, "live"), "--dry-run")
    assert dry.returncode == 0 and "Live site: " in dry.stdout and "warning: refused before any change" in dry.stdout
    gutted = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket, "live"))
    assert gutted.returncode == 1 and "refused before any change" in gutted.stderr
    assert remote_state(client, bucket, "live") == live
    meant = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket, "live"), "--max-delete-share", "-1",
                    "--max-deletes", "-1")
    assert meant.returncode == 0, meant.stderr
    assert set(remote_objects(client, bucket, "live")) == set(local_files(build))


def manifest_at(client, bucket: str, key: str):
    from islet.publish.owner import from_json

    return from_json(client.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_a_site_owns_its_prefix_and_another_site_above_below_or_there_is_refused(site, seaweedfs):
    from islet.publish.owner import MANIFEST, Manifest, to_json

    bucket = seaweedfs.new_bucket()
    client = seaweedfs.client()
    assert publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket, "www")).returncode == 0
    manifest = manifest_at(client, bucket, f"www/{MANIFEST}")
    assert manifest.site == "https://islet.example" and set(manifest.keys) == set(local_files(site.root / "build"))

    inside = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket, "www/blog"))
    assert inside.returncode == 1 and "is inside the site 'https://islet.example'" in inside.stderr, inside.stderr

    stranger = Manifest("https://someone.else", "0", ("index.html",))
    client.put_object(Bucket=bucket, Key=f"shop/{MANIFEST}", Body=to_json(stranger))
    theirs = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket, "shop"))
    assert theirs.returncode == 1 and "holds the site 'https://someone.else'" in theirs.stderr
    assert "--claim-target" in theirs.stderr
    assert set(remote_objects(client, bucket, "shop")) == set()                # nothing was uploaded

    for i in range(8):                                                          # files someone else put there
        client.put_object(Bucket=bucket, Key=f"docs/manual-{i}.pdf", Body=b"%PDF")
    unknown = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket, "docs"))
    assert unknown.returncode == 1 and "8 objects at" in unknown.stderr
    assert "not published by this site" in unknown.stderr
    taken = publish(site.root, seaweedfs.env(), *target_args(seaweedfs, bucket, "docs"), "--claim-target",
                    "--max-delete-share", "-1")                                 # (all 8 live files go: say so)
    assert taken.returncode == 0, taken.stderr
    assert manifest_at(client, bucket, f"docs/{MANIFEST}").site == "https://islet.example"


# --------------------------------------------------------------------------------------------- order

class Recording:
    """A real S3 client that notes when each upload starts and ends (and can fail one key)."""

    def __init__(self, client, fail: str = ""):
        self.client, self.fail, self.events, self.lock = client, fail, [], threading.Lock()

    def put_object(self, **kwargs):
        key = kwargs["Key"].split("/", 1)[1]
        with self.lock:
            self.events.append(("start", key))
        if key == self.fail:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutObject")
        time.sleep(0.002)
        self.client.put_object(**kwargs)
        with self.lock:
            self.events.append(("end", key))

    def __getattr__(self, name):
        return getattr(self.client, name)


def test_uploads_go_group_by_group_and_each_group_finishes_first(site, seaweedfs, tmp_path):
    build = site.root / "build"
    for name in ("widgets/app.1111.js", "widgets/chunk.2222.js", "img/photo.3333.webp"):
        (build / name).parent.mkdir(exist_ok=True)
        (build / name).write_text(f"// {name}\n" * 50)
    bucket = seaweedfs.new_bucket()
    local = local_files(build)
    the_plan = plan(local, {})
    assert {group_of(u.key) for u in the_plan.uploads} == set(range(len(GROUPS)))
    recording = Recording(seaweedfs.client())
    s3.upload(recording, S3Target(bucket, "www"), the_plan, local, seaweedfs.endpoint)
    position = {}
    for index, (event, key) in enumerate(recording.events):
        position[(event, key)] = index
    for earlier in the_plan.uploads:
        for later in the_plan.uploads:
            if group_of(earlier.key) < group_of(later.key):
                assert position[("end", earlier.key)] < position[("start", later.key)], (earlier, later)
    assert position[("start", "index.html")] > max(position[("end", u.key)] for u in the_plan.uploads
                                                  if u.key.endswith(".html") and u.key != "index.html")


def test_a_failed_upload_stops_later_groups_and_all_deletes(site, seaweedfs):
    bucket = seaweedfs.new_bucket()
    client = seaweedfs.client()
    client.put_object(Bucket=bucket, Key="www/old.html", Body=b"old")
    local = local_files(site.root / "build")
    remote = {"old.html": s3.RemoteFile("x", {})}
    the_plan = plan(local, remote)
    with pytest.raises(PublishError) as caught:
        s3.upload(Recording(client, fail="about.html"), S3Target(bucket, "www"), the_plan, local, seaweedfs.endpoint)
    message = str(caught.value)
    assert "uploading about.html failed: access denied" in message and "publish again" in message
    keys = set(remote_objects(client, bucket, "www"))
    assert "old.html" in keys                                             # deletes never started
    assert not keys & {"index.html", "sitemap.xml", "feeds/all.atom.xml"}   # nor the last group
    assert {u.key for u in the_plan.uploads if group_of(u.key) < 2} <= keys


# -------------------------------------------------------------------------------------------- errors

def test_problems_are_one_clear_line_without_credentials(site, seaweedfs):
    bucket = seaweedfs.new_bucket()
    secret = "wrong-secret-0123456789"
    cases = [
        (seaweedfs.env(), target_args(seaweedfs, "no-such-bucket-here"), "does not exist"),
        (seaweedfs.env(AWS_ACCESS_KEY_ID="AKIANOBODY000000"), target_args(seaweedfs, bucket),
         "does not know the access key"),
        (seaweedfs.env(AWS_SECRET_ACCESS_KEY=secret), target_args(seaweedfs, bucket), "rejected the secret key"),
        (seaweedfs.env(), ["--target", f"s3://{bucket}/www", "--endpoint-url",
                           f"http://127.0.0.1:{free_ports(1)[0]}"], "cannot reach"),
        ({k: v for k, v in seaweedfs.env().items() if not k.startswith("AWS_ACCESS") and "SECRET" not in k},
         target_args(seaweedfs, bucket), "no S3 credentials found"),
    ]
    web = LocalServer(site.root / "build")          # a website, not an S3 API: its address given by mistake
    cases.append((seaweedfs.env(), ["--target", f"s3://{bucket}/www", "--endpoint-url", web.url.rstrip("/")],
                  "does not answer like an S3 server"))
    with web:
        checked = [(env, args, says, publish(site.root, env, *args)) for env, args, says in cases]
    for _, args, says, done in checked:
        assert done.returncode == 1, (args, done.stdout)
        assert says in done.stderr, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        for value in (secret, seaweedfs.secret_key, "AKIANOBODY000000", seaweedfs.access_key):
            assert value not in done.stderr + done.stdout
    assert remote_objects(seaweedfs.client(), bucket, "www") == {}


def test_transient_errors_are_retried_with_growing_waits():
    waits, calls = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionClosedError(endpoint_url="http://x")
        return "ok"

    assert s3.with_retries(flaky, attempts=4, backoff=0.1, sleep=waits.append) == "ok"
    assert len(calls) == 3 and len(waits) == 2 and 0.1 <= waits[0] < waits[1] and waits[1] >= 0.2

    def denied():
        calls.append(1)
        raise ClientError({"Error": {"Code": "AccessDenied"}}, "PutObject")

    calls.clear()
    with pytest.raises(ClientError):
        s3.with_retries(denied, sleep=waits.append)
    assert len(calls) == 1                                               # a 4xx is never retried

    def down():
        calls.append(1)
        raise EndpointConnectionError(endpoint_url="http://x")

    calls.clear()
    with pytest.raises(EndpointConnectionError):
        s3.with_retries(down, attempts=3, sleep=lambda s: None)
    assert len(calls) == 3
    assert s3.is_transient(ClientError({"Error": {"Code": "SlowDown"}}, "PutObject"))
    assert s3.is_transient(ClientError({"Error": {"Code": "503"}}, "PutObject"))


# ------------------------------------------------------------------------------------------ CloudFront

def test_invalidation_paths_are_the_changed_html():
    changed = Plan([Upload("widgets/a.1.js", "new"), Upload("about.html", "content differs"),
                    Upload("page/2/index.html", "new"), Upload("index.html", "content differs")], ["old.html"])
    assert s3.invalidation_paths(changed) == ["/", "/about.html", "/index.html", "/old.html", "/page/2/",
                                              "/page/2/index.html"]
    many = Plan([Upload(f"p{i}.html", "new") for i in range(s3.MAX_INVALIDATION_PATHS + 1)])
    assert s3.invalidation_paths(many) == ["/*"]
    assert s3.invalidation_paths(Plan([Upload("img/a.1.webp", "new")])) == []


def test_invalidation_is_sent_to_cloudfront():
    import boto3

    client = boto3.client("cloudfront", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with Stubber(client) as stub:
        stub.add_response("create_invalidation", {"Invalidation": {"Id": "I1", "Status": "InProgress",
                                                                   "CreateTime": "2026-01-01T00:00:00Z",
                                                                   "InvalidationBatch": {
                                                                       "Paths": {"Quantity": 1, "Items": ["/"]},
                                                                       "CallerReference": "x"}}},
                          {"DistributionId": "E123", "InvalidationBatch": {
                              "Paths": {"Quantity": 2, "Items": ["/", "/index.html"]},
                              "CallerReference": ANY}})
        s3.invalidate("E123", ["/", "/index.html"], client=client)
        stub.assert_no_pending_responses()
    with Stubber(client) as stub:
        stub.add_client_error("create_invalidation", "NoSuchDistribution", http_status_code=404)
        with pytest.raises(PublishError, match="the site is published, but the invalidation failed"):
            s3.invalidate("E404", ["/"], client=client)


# ------------------------------------------------------------------------------------ the whole thing

def test_invoke_publish_builds_and_publishes_and_a_second_run_uploads_nothing(seaweedfs, tmp_path):
    """`invoke publish --target s3://… --endpoint-url …` in a fresh copy of the project: build, then publish."""
    import shutil
    import subprocess
    import sys

    from support.site import ROOT, copy_site

    site = copy_site(tmp_path / "project")
    shutil.copy(ROOT / "tasks.py", site.root / "tasks.py")
    bucket = seaweedfs.new_bucket()
    command = [str(Path(sys.executable).with_name("invoke")), "--search-root", str(site.root), "publish",
               *target_args(seaweedfs, bucket, "")]
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=seaweedfs.env(), timeout=600)
        runs.append((done, time.perf_counter() - started))
        assert done.returncode == 0, done.stdout + done.stderr
    first, second = runs[0][0], runs[1][0]
    assert "Built" in first.stdout and "Published" in first.stdout
    assert "no changes required" in second.stdout and "upload " not in second.stdout
    state = remote_state(seaweedfs.client(), bucket)
    assert state == local_state(site.root / "build") and "index.html" in state
    print(f"\ninvoke publish (build + publish): {runs[0][1]:.1f} s; again: {runs[1][1]:.1f} s, 0 uploads")
