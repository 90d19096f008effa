"""S3 side of the publish stage: list the remote, upload in ordered groups, delete last, invalidate.

    publish(output, S3Target(bucket, prefix), endpoint_url, dry_run, max_deletes, distribution)

The comparison and the order are decided by `islet.publish.plan` (pure); this module only talks
to the store. Credentials come from boto3's standard chain — AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment, or AWS_PROFILE and ~/.aws —
and are never printed: messages name the variables, not their values. Every failure becomes a
`PublishError` with a problem saying what to do, never a traceback.
"""
from __future__ import annotations

import os
import random
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from islet.errors import Problem
from islet.output import headers

from .owner import MANIFEST, ancestors, from_json, manifest_of, ownership_problem, to_json
from .plan import (DEFAULT_MAX_DELETE_SHARE, LocalFile, Plan, PublishError, RemoteFile, S3Target, Shares, apply_fence,
                   describe, held_back_message, local_files, plan, size_text)

WORKERS = 8                         # parallel requests within one upload group
ATTEMPTS = 4                        # tries per request on a transient error, with exponential backoff
BACKOFF = 0.25                      # seconds before the first retry; doubles each time
MAX_INVALIDATION_PATHS = 100        # above this, invalidate "/*" (CloudFront bills per path)
STOP_AFTER = "ISLET_PUBLISH_STOP_AFTER"   # for the interruption tests only: SIGKILL after that many uploads
CREDENTIALS = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) to a key allowed to use the bucket"
TRANSIENT = {"RequestTimeout", "SlowDown", "InternalError", "ServiceUnavailable", "Throttling", "ThrottlingException",
             "RequestTimeTooSkewed", "500", "502", "503", "504"}


def publish(output: Path, target: S3Target, endpoint_url: str, dry_run: bool, max_deletes: int,
            distribution: str = "", max_share: float = DEFAULT_MAX_DELETE_SHARE, site: str = "",
            claim: bool = False) -> None:
    """List, plan, print the plan, then (unless a dry run, or the ownership check or the relative fence refuses
    it) upload group by group, delete, invalidate, and leave this site's manifest (islet.publish.owner)."""
    started = time.perf_counter()
    where = endpoint_url or "AWS S3"
    client = connect(endpoint_url, target)
    local = local_files(output)
    remote = list_remote(client, target, where)
    own = None
    if remote.pop(MANIFEST, None) is not None:
        own = from_json(read_object(client, target.bucket, target.key(MANIFEST), where) or b"")
    above = {key: found for key in ancestors(target)
             if (found := from_json(read_object(client, target.bucket, key, where) or b"")) is not None}
    manifest = manifest_of(site or str(target), local)
    refusal = None if claim else ownership_problem(target, manifest.site, remote, own, above, local)
    if refusal is not None and not dry_run:
        raise PublishError(refusal)
    the_plan = plan(local, remote, max_deletes)
    shares = Shares.of(the_plan, local, remote)
    for line in describe(the_plan, local, target):
        print(line)
    apply_fence(shares, max_share, target, dry_run)
    if dry_run:
        if refusal is not None:
            print(f"warning: {refusal.what}")
        print("Dry run: nothing was changed.")
        return
    if the_plan.empty and own == manifest:
        return
    upload(client, target, the_plan, local, where)
    delete(client, target, the_plan.deletes, where)
    if own != manifest:        # last: until then the previous manifest (or none) describes the target
        write_manifest(client, target, manifest, where)
    if distribution and (paths := invalidation_paths(the_plan)):
        invalidate(distribution, paths)
        print(f"Invalidated {len(paths)} path{'s' * (len(paths) != 1)} on CloudFront distribution {distribution}.")
    size = sum(local[u.key].size for u in the_plan.uploads)
    print(f"Published {len(the_plan.uploads)} files ({size_text(size)}) and deleted {len(the_plan.deletes)} "
          f"in {time.perf_counter() - started:.1f} s.")
    if the_plan.held_back:      # published, but not finished: say so with a non-zero exit
        raise PublishError(Problem(str(target), 0, held_back_message(the_plan).removeprefix("warning: ")))


def connect(endpoint_url: str, target: S3Target):
    """A boto3 S3 client. Path-style addressing for non-AWS endpoints (they rarely have per-bucket DNS)."""
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError
    except ImportError:
        raise PublishError(Problem(str(target), 0, "publishing to S3 needs boto3",
                                   "pip install 'pelican-islet[s3]' (or pip install boto3)")) from None
    # Retries are ours (with_retries), so one request is one attempt for botocore.
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60,
                    max_pool_connections=WORKERS * 2,
                    s3={"addressing_style": "path"} if endpoint_url else None)
    try:
        session = boto3.session.Session()
        region = session.region_name or "us-east-1"
        return session.client("s3", endpoint_url=endpoint_url or None, region_name=region, config=config)
    except (BotoCoreError, ValueError) as error:
        raise PublishError(problem(error, target, endpoint_url or "AWS S3")) from None


def list_remote(client, target: S3Target, where: str) -> dict[str, RemoteFile]:
    """Every object under the prefix (paged), with the MD5 and headers islet stored on it (one HEAD each)."""
    prefix = f"{target.prefix}/" if target.prefix else ""
    keys: list[str] = []
    token: dict = {}
    try:
        while True:
            page = with_retries(lambda: client.list_objects_v2(Bucket=target.bucket, Prefix=prefix, **token))
            keys += [item["Key"] for item in page.get("Contents", []) if len(item["Key"]) > len(prefix)]
            if not page.get("IsTruncated"):
                break
            token = {"ContinuationToken": page["NextContinuationToken"]}

        def head(key: str) -> tuple[str, dict]:
            return key, with_retries(lambda: client.head_object(Bucket=target.bucket, Key=key))

        with ThreadPoolExecutor(WORKERS) as pool:
            answers = list(pool.map(head, keys))
    except Exception as error:
        raise PublishError(problem(error, target, where)) from None
    return {key[len(prefix):]: RemoteFile(answer.get("Metadata", {}).get("md5", ""), stored_headers(answer))
            for key, answer in answers}


def read_object(client, bucket: str, key: str, where: str) -> bytes | None:
    """An object's bytes, or None when there is none."""
    try:
        return with_retries(lambda: client.get_object(Bucket=bucket, Key=key))["Body"].read()
    except Exception as error:
        if _code(error) in ("NoSuchKey", "404"):
            return None
        raise PublishError(problem(error, S3Target(bucket), where)) from None


def write_manifest(client, target: S3Target, manifest, where: str) -> None:
    try:
        with_retries(lambda: client.put_object(Bucket=target.bucket, Key=target.key(MANIFEST),
                                               Body=to_json(manifest), ContentType="application/json",
                                               CacheControl=headers.REVALIDATE))
    except Exception as error:
        cause = problem(error, target, where)
        raise PublishError(Problem(str(target), 0, f"writing the site's manifest failed: {cause.what}",
                                   f"{cause.fix}; the site itself is published — publish again to finish")) from None


def stored_headers(answer: dict) -> dict[str, str]:
    """The headers islet sets, as a HEAD answer gives them back (absent ones left out, like LocalFile.headers)."""
    names = {"Content-Type": "ContentType", "Cache-Control": "CacheControl", "Content-Encoding": "ContentEncoding"}
    return {header: answer[field] for header, field in names.items() if answer.get(field)}


def upload(client, target: S3Target, the_plan: Plan, local: dict[str, LocalFile], where: str) -> None:
    """Upload group after group, in parallel within a group. The first failure stops everything after it."""
    stop_after = int(os.environ.get(STOP_AFTER) or 0)
    progress = Progress(len(the_plan.uploads))
    for name, uploads in the_plan.groups():
        failed: list[tuple[str, BaseException]] = []
        with ThreadPoolExecutor(WORKERS) as pool:
            futures = {pool.submit(with_retries, lambda key=key: put(client, target, key, local[key])): key
                       for key, _ in uploads}
            try:
                for future in as_completed(futures):
                    if future.cancelled():
                        continue
                    if future.exception() is not None:
                        failed.append((futures[future], future.exception()))
                        _cancel(futures)        # a failed group stops: start no new upload
                        continue
                    progress.advance(name)
                    if stop_after and progress.done >= stop_after:
                        os.kill(os.getpid(), signal.SIGKILL)   # the interruption tests' "power cut"
            except BaseException:               # Ctrl-C: let what is in flight finish, start nothing new
                _cancel(futures)
                raise
        if failed:
            key, error = failed[0]
            cause = problem(error, target, where)
            raise PublishError(Problem(str(target), 0, f"uploading {key} failed: {cause.what}",
                                       f"{cause.fix}; nothing was deleted and pages were not uploaded before "
                                       "the assets they use, so the site still works — publish again to finish"))
        progress.end_group(name, len(uploads))


def _cancel(futures) -> None:
    for future in futures:
        future.cancel()


def put(client, target: S3Target, key: str, file: LocalFile) -> None:
    extra = {"ContentType": file.headers["Content-Type"], "CacheControl": file.headers["Cache-Control"]}
    if "Content-Encoding" in file.headers:
        extra["ContentEncoding"] = file.headers["Content-Encoding"]
    # The MD5 of the uncompressed file: the next publish compares it (an ETag is the MD5 of the body sent,
    # and not even that for multipart uploads).
    client.put_object(Bucket=target.bucket, Key=target.key(key), Body=file.body(), Metadata={"md5": file.md5},
                      **extra)


def delete(client, target: S3Target, keys: list[str], where: str) -> None:
    """Delete in batches of 1,000 (the most one DeleteObjects request takes). Called after every upload."""
    for start in range(0, len(keys), 1000):
        batch = [{"Key": target.key(key)} for key in keys[start:start + 1000]]
        try:
            answer = with_retries(lambda: client.delete_objects(Bucket=target.bucket,
                                                                Delete={"Objects": batch, "Quiet": True}))
        except Exception as error:
            cause = problem(error, target, where)
            raise PublishError(Problem(str(target), 0, f"deleting old files failed: {cause.what}",
                                       f"{cause.fix}; every new file is uploaded, so the site works — "
                                       "publish again to remove the old ones")) from None
        if answer.get("Errors"):
            first = answer["Errors"][0]
            raise PublishError(Problem(str(target), 0, f"{len(answer['Errors'])} old files could not be deleted, "
                                                       f"e.g. {first.get('Key')}: {first.get('Code')}",
                                       "check the key may s3:DeleteObject, then publish again"))


def invalidation_paths(the_plan: Plan) -> list[str]:
    """URL paths of the changed HTML (a folder's index.html also as the folder), or ["/*"] when many."""
    paths: set[str] = set()
    for key in [u.key for u in the_plan.uploads] + the_plan.deletes:
        if key.endswith(".html"):
            paths.add("/" + key)
            if key == "index.html" or key.endswith("/index.html"):
                paths.add("/" + key[:-len("index.html")])
    return ["/*"] if len(paths) > MAX_INVALIDATION_PATHS else sorted(paths)


def invalidate(distribution: str, paths: list[str], client=None) -> None:
    """Ask CloudFront to drop its copies of `paths`. The site is already published when this runs."""
    try:
        if client is None:
            import boto3

            client = boto3.client("cloudfront")
        client.create_invalidation(DistributionId=distribution, InvalidationBatch={
            "Paths": {"Quantity": len(paths), "Items": paths}, "CallerReference": f"islet-{time.time_ns()}"})
    except Exception as error:
        cause = problem(error, S3Target("cloudfront"), "CloudFront")
        raise PublishError(Problem(f"CloudFront distribution {distribution}", 0,
                                   f"the site is published, but the invalidation failed: {cause.what}",
                                   "check ISLET_PUBLISH_CLOUDFRONT_DISTRIBUTION and that the key may "
                                   "cloudfront:CreateInvalidation; until then the CDN may serve old pages "
                                   "for as long as it caches them")) from None


# ---------------------------------------------------------------------------------------- retries, errors

def is_transient(error: BaseException) -> bool:
    """Worth trying again: a dropped connection, a timeout, throttling or a 5xx. Never a 4xx."""
    from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

    if isinstance(error, ClientError):
        return _code(error) in TRANSIENT
    return isinstance(error, (ConnectionError, HTTPClientError))


def with_retries(call, attempts: int = ATTEMPTS, backoff: float = BACKOFF, sleep=time.sleep):
    """`call()`, tried again after 0.25 s, 0.5 s, 1 s (plus jitter) while it fails transiently."""
    for attempt in range(attempts):
        try:
            return call()
        except Exception as error:
            if attempt == attempts - 1 or not is_transient(error):
                raise
            sleep(backoff * 2 ** attempt * (1 + random.random() / 4))


def _code(error) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def problem(error: BaseException, target: S3Target, where: str) -> Problem:
    """A botocore error → what went wrong and what to do, without the credentials or a traceback."""
    from botocore.exceptions import (
        ClientError,
        ConnectionError,
        HTTPClientError,
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
    )
    from botocore.parsers import ResponseParserError

    place = str(target)
    if isinstance(error, (NoCredentialsError, PartialCredentialsError)):
        return Problem(place, 0, "no S3 credentials found", CREDENTIALS)
    if isinstance(error, ProfileNotFound):
        return Problem(place, 0, f"AWS profile not found: {error.kwargs.get('profile')}",
                       "correct AWS_PROFILE, or add the profile to ~/.aws/credentials")
    if isinstance(error, (ConnectionError, HTTPClientError)):
        return Problem(place, 0, f"cannot reach {where} ({type(error).__name__})",
                       "check --endpoint-url (or ISLET_PUBLISH_ENDPOINT) and the network, then publish again")
    not_s3 = Problem(place, 0, f"{where} does not answer like an S3 server (no S3 error or listing came back)",
                     "check --endpoint-url (or ISLET_PUBLISH_ENDPOINT): it must be the S3 API's address, not the "
                     "website's")
    if isinstance(error, ResponseParserError):
        return not_s3
    if isinstance(error, ClientError):
        code = _code(error)
        if code == "NoSuchBucket":
            return Problem(place, 0, f"bucket {target.bucket!r} does not exist at {where}",
                           "create it, or correct the bucket name in --target / ISLET_PUBLISH_TARGET")
        if code.isdigit() and getattr(error, "operation_name", "") == "ListObjectsV2":
            return not_s3            # a listing answered by a bare HTTP status, no S3 error document: no S3 server
        if code == "InvalidAccessKeyId":
            return Problem(place, 0, f"{where} does not know the access key", CREDENTIALS)
        if code == "SignatureDoesNotMatch":
            return Problem(place, 0, f"{where} rejected the secret key (signature does not match)",
                           "check AWS_SECRET_ACCESS_KEY (or the profile's secret) belongs to the access key")
        if code in ("AccessDenied", "403", "AllAccessDisabled"):
            return Problem(place, 0, f"access denied to bucket {target.bucket!r} at {where}",
                           "the key needs s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject on it")
        message = error.response.get("Error", {}).get("Message", "")
        return Problem(place, 0, f"{where} answered {code}{': ' + message if message else ''}",
                       "check the target and endpoint, then publish again")
    return Problem(place, 0, f"unexpected error: {type(error).__name__}: {error}",
                   "publish again; if it keeps failing, report it with this message")


class Progress:
    """A progress line on a terminal; one line per finished group otherwise (logs stay readable)."""

    def __init__(self, total: int, stream=None):
        self.total, self.done, self.stream = total, 0, stream or sys.stdout
        self.tty = self.stream.isatty()

    def advance(self, group: str) -> None:
        self.done += 1
        if self.tty:
            self.stream.write(f"\r  uploading {group}: {self.done}/{self.total} \x1b[K")
            self.stream.flush()

    def end_group(self, group: str, count: int) -> None:
        line = f"  uploaded {group}: {count} file{'s' * (count != 1)} ({self.done}/{self.total})"
        self.stream.write(("\r" + line + "\x1b[K\n") if self.tty else line + "\n")
        self.stream.flush()
