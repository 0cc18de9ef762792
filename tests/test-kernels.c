/* test-kernels.c — guest kernels by name: what a name means (a Debian release, a version of one
 * of its kernels, a path), and the Debian archive found in apt sources, one-line and deb822,
 * from the fixtures in tests/data/apt. Nothing is fetched. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "testlib.h"
#include "util.h"

static void ref_ok(const char *name, const char *suite, const char *kver, const char *root)
{
	_cleanup_free_ char *err = NULL;
	struct kernels_ref r;

	ck_assert_int_eq(kernels_ref_parse(name, &r, &err), 0);
	ck_assert_ptr_null(err);
	if (suite)
		ck_assert_str_eq(r.suite, suite);
	else
		ck_assert_ptr_null(r.suite);
	if (kver)
		ck_assert_str_eq(r.kver, kver);
	else
		ck_assert_ptr_null(r.kver);
	if (root)
		ck_assert_str_eq(r.root, root);
	else
		ck_assert_ptr_null(r.root);
	kernels_ref_finish(&r);
}

static void ref_bad(const char *name)
{
	_cleanup_free_ char *err = NULL;
	struct kernels_ref r;

	ck_assert_int_eq(kernels_ref_parse(name, &r, &err), -EINVAL);
	ck_assert_ptr_nonnull(err);
	ck_assert_ptr_nonnull(strstr(err, "debian-11, debian-12, debian-13"));
}

START_TEST(test_names)
{
	ref_ok("debian-11", "bullseye", NULL, NULL);
	ref_ok("debian-12", "bookworm", NULL, NULL);
	ref_ok("debian-13", "trixie", NULL, NULL);
	ref_ok("5.10.0-32-amd64", "bullseye", "5.10.0-32-amd64", NULL);
	ref_ok("6.1.0-50-amd64", "bookworm", "6.1.0-50-amd64", NULL);
	ref_ok("6.12.117+deb13-amd64", "trixie", "6.12.117+deb13-amd64", NULL);
	ref_ok("/var/cache/faultline/kernel", NULL, NULL, "/var/cache/faultline/kernel");
	ref_ok("./roots/k", NULL, NULL, "./roots/k");
	ref_bad("debian-10");
	ref_bad("debian-12x");
	ref_bad("6.10.0-1-amd64"); /* 6.10 is no Debian release's kernel */
	ref_bad("6.1");		   /* a series names no package */
	ref_bad("");
	ref_bad("latest");
}
END_TEST

static void archive_ok(const char *text, bool deb822, const char *want)
{
	_cleanup_free_ char *uri = NULL;

	ck_assert_int_eq(kernels_archive_parse(text, deb822, &uri), 0);
	ck_assert_str_eq(uri, want);
}

START_TEST(test_archive_text)
{
	_cleanup_free_ char *uri = NULL;

	archive_ok("deb http://a.example/debian bookworm main\n", false, "http://a.example/debian");
	archive_ok("deb [signed-by=/k.gpg] http://b.example/debian trixie main\n", false,
		   "http://b.example/debian");
	archive_ok("deb http://s.example/debian-security bookworm-security main\n"
		   "deb http://c.example/debian bookworm-updates main",
		   false, "http://c.example/debian");
	/* no Debian suite, a source archive, the security archive alone */
	ck_assert_int_eq(
	    kernels_archive_parse("deb http://x.example/apt cloud-sdk main\n", false, &uri),
	    -ENOENT);
	ck_assert_int_eq(
	    kernels_archive_parse("deb-src http://x.example/debian bookworm main\n", false, &uri),
	    -ENOENT);
	ck_assert_int_eq(
	    kernels_archive_parse("Types: deb\nURIs: http://s.example/debian-security\n"
				  "Suites: bookworm-security\n",
				  true, &uri),
	    -ENOENT);
	/* deb822: a disabled paragraph is skipped; the last paragraph needs no blank line */
	archive_ok("Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nEnabled: no\n\n"
		   "Types: deb deb-src\nURIs: http://on.example/debian http://2.example/debian\n"
		   "Suites: bullseye\n",
		   true, "http://on.example/debian");
	ck_assert_ptr_null(uri);
}
END_TEST

START_TEST(test_archive_files)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *err = NULL;

	ck_assert_int_eq(kernels_archive(FAULTLINE_TEST_DATA "/apt/deb822", &a, &err), 0);
	ck_assert_str_eq(a, "http://mirror.example.org/debian");
	/* sources.list.d has none: sources.list, one-line with options */
	ck_assert_int_eq(kernels_archive(FAULTLINE_TEST_DATA "/apt/list", &b, &err), 0);
	ck_assert_str_eq(b, "http://list.example.org/debian");
	ck_assert_int_eq(kernels_archive(FAULTLINE_TEST_DATA "/apt/none", &b, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "no Debian archive in"));
}
END_TEST

START_TEST(test_security)
{
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *none = NULL;

	ck_assert_int_eq(kernels_security_parse("deb http://m.example/debian bookworm main\n"
						"deb http://s.example/debian-security "
						"bookworm-security main\n",
						false, &a),
			 0);
	ck_assert_str_eq(a, "http://s.example/debian-security");
	/* -updates and -backports are the main archive's, not the security archive's */
	ck_assert_int_eq(kernels_security_parse("Types: deb\nURIs: http://m.example/debian\n"
						"Suites: bookworm-updates bookworm-backports\n",
						true, &none),
			 -ENOENT);
	ck_assert_ptr_null(none);
	ck_assert_int_eq(kernels_security(FAULTLINE_TEST_DATA "/apt/deb822", &b), 0);
	ck_assert_str_eq(b, "http://security.example.org/debian-security");
	ck_assert_int_eq(kernels_security(FAULTLINE_TEST_DATA "/apt/list", &c), 0);
	ck_assert_str_eq(c, "http://security.example.org/debian-security");
	ck_assert_int_eq(kernels_security(FAULTLINE_TEST_DATA "/apt/none", &none), -ENOENT);
}
END_TEST

START_TEST(test_note)
{
	_cleanup_free_ char *off = NULL, *moved = NULL, *none = NULL;

	off = kernels_note("Hit:1 http://m.example/debian bookworm InRelease\n"
			   "fetch-kernel.sh: offline: http://m.example/debian cannot be reached; "
			   "bookworm (amd64) is the remembered 6.1.0-50-amd64 of 2026-12-07, "
			   "perhaps not the newest\n"
			   "6.1.0-50-amd64 /k/6.1.0-50-amd64\n");
	ck_assert_str_eq(off, "offline: http://m.example/debian cannot be reached; bookworm "
			      "(amd64) is the remembered 6.1.0-50-amd64 of 2026-12-07, perhaps not "
			      "the newest");
	moved = kernels_note("fetch-kernel.sh: bookworm (arm64) now means 6.1.0-57-arm64 (was "
			     "6.1.0-50-arm64)\nfetch-kernel.sh: 6.1.0-57-arm64 of bookworm "
			     "unpacked in /k\n6.1.0-57-arm64 /k/6.1.0-57-arm64");
	ck_assert_str_eq(moved, "bookworm (arm64) now means 6.1.0-57-arm64 (was 6.1.0-50-arm64)");
	free(moved);
	/* the last note wins: a newer version listed, then not fetched */
	moved = kernels_note(
	    "fetch-kernel.sh: bullseye (arm64) now means 5.10.0-46-arm64 (was "
	    "5.10.0-32-arm64)\nE: 404\nfetch-kernel.sh: unavailable: 5.10.0-46-arm64 "
	    "of bullseye (arm64) cannot be fetched from http://m.example/debian; the "
	    "remembered 5.10.0-32-arm64 is used\n5.10.0-32-arm64 /k/5.10.0-32-arm64\n");
	ck_assert_str_eq(moved,
			 "unavailable: 5.10.0-46-arm64 of bullseye (arm64) cannot be fetched "
			 "from http://m.example/debian; the remembered 5.10.0-32-arm64 is used");
	none = kernels_note("fetch-kernel.sh: 6.1.0-57-amd64 of bookworm unpacked in /k\n");
	ck_assert_ptr_null(none);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kernels");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_archive_text);
	tcase_add_test(tc, test_archive_files);
	tcase_add_test(tc, test_security);
	tcase_add_test(tc, test_note);
	suite_add_tcase(s, tc);
	return s;
}

TESTLIB_MAIN(suite)
