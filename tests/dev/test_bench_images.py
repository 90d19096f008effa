"""islet.dev.bench_images on a tiny corpus: the three builds run and measure what they should (no timing asserted:
the figures belong to `invoke bench-images`)."""
from islet.dev import bench_images


def test_three_cold_builds_and_what_images_add():
    results = bench_images.run(articles=6, photos=2)
    assert list(results) == list(bench_images.BUILDS)
    plain, islet, images = (results[name][1] for name in bench_images.BUILDS)
    assert islet == plain                    # islet's defaults leave a site without a known origin as Pelican wrote it
    assert images > plain                    # the WebP variants
    assert all(seconds > 0 for seconds, _ in results.values())
    table = bench_images.table(results)
    assert table.count("\n") == 4 and "1.00x bytes" in table
