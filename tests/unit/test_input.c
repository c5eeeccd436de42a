/* Input from archives, configs and the command line: what is refused, what is
 * escaped, what is made instead of copied. Each case failed (or was undefined
 * behaviour under UBSan) before its fix. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bundle.h"
#include "migrate.h"
#include "mptcp_kernel.h"
#include "paths.h"
#include "store.h"
#include "t.h"
#include "tar.h"
#include "text.h"
#include "tls.h"
#include "util.h"

static char dir[64];

/* a tar archive holding a MANIFEST folder */
static void
test_manifest_dir(void)
{
	struct tar_writer w = { 0 };
	struct tar_archive a;
	struct tar_limits lim;
	struct bundle b;
	unsigned char *gz = NULL;
	size_t gzlen = 0;
	char err[ERRLEN] = "";

	CHECK(tar_add_dir(&w, BUNDLE_DIR "/MANIFEST", 0755, 0, err) == 0 && tar_finish_gz(&w, &gz, &gzlen, err) == 0,
	    "an archive with a MANIFEST folder is made");
	tar_limits_default(&lim);
	CHECK(tar_read(gz, gzlen, &lim, &a, err) == 0, "it reads as a tar archive (%s)", err);
	*err = '\0';
	CHECK(bundle_from_archive(&a, &b, err) < 0 && strstr(err, "MANIFEST is not a regular file"),
	    "a MANIFEST that is not a regular file is an invalid export: %s", err);
	tar_free(&a);
	free(gz);
}

/* a PEM object with nothing between BEGIN and END */
static void
test_empty_pem(void)
{
	static const char empty[] = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n";
	char err[ERRLEN] = "", pin[TLS_PIN_STRLEN];
	long long na = 0;
	unsigned char h[32];

	CHECK(tls_not_after_pem(empty, strlen(empty), "empty.crt", &na, err) < 0 && strstr(err, "is empty"),
	    "an empty PEM object: %s", err);
	*err = '\0';
	CHECK(tls_pin_pem(empty, strlen(empty), "empty.crt", pin, err) < 0 && strstr(err, "is empty"),
	    "pin of an empty PEM object: %s", err);
	CHECK(tls_cert_not_after(NULL, 0, &na) < 0 && tls_spki_sha256(NULL, 0, h) < 0 &&
	    !tls_cert_has_ip(NULL, 0, (const unsigned char *)"\x7f\0\0\1", 4), "the DER walkers refuse no data");
}

/* dotted keys and nesting past the limit: an error, never a deep recursion */
static void
test_deep(void)
{
	size_t n = 100000, i;
	char *t = malloc(2 * n + 8), err[ERRLEN] = "";
	struct json_val *v;

	t[0] = '[';
	for (i = 0; i < n; i++)
		memcpy(t + 1 + 2 * i, "a.", 2);
	memcpy(t + 2 * n, "]\n", 3);   /* overwrite the last '.' */
	v = mig_toml_parse(t, strlen(t), err);
	CHECK(!v && strstr(err, "nested deeper than 32 levels"), "a table header of 100000 dotted keys: %s", err);
	json_free(v);
	memset(t, '[', n);
	memset(t + n, ']', n);
	*err = '\0';
	v = json_parse(t, 2 * n, err);
	CHECK(!v && strstr(err, "nested deeper than 32 levels"), "100000 nested JSON arrays: %s", err);
	json_free(v);
	snprintf(t, 2 * n, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q = [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]\n");
	*err = '\0';
	v = mig_toml_parse(t, strlen(t), err);
	CHECK(!v && strstr(err, "nested deeper"), "17 dotted keys holding 17 nested arrays count together (16 + 17 levels): %s", err);
	json_free(v);
	snprintf(t, 2 * n, "[[a]]\n[[a.b]]\n[a.b.c]\nx = {y = [1]}\n");
	*err = '\0';
	v = mig_toml_parse(t, strlen(t), err);
	CHECK(v != NULL, "shallow tables and arrays of tables still parse (%s)", err);
	json_free(v);
	free(t);
}

/* what is printable, what is escaped */
static void
test_text(void)
{
	char buf[64];
	size_t bad = 99;

	CHECK(text_printable("HK relay 香港 -> 日本", NULL), "Chinese and Japanese letters are printable");
	CHECK(!text_printable("a\033[31m", &bad) && bad == 1, "ESC is refused, at byte 1");
	CHECK(!text_printable("a\tb", NULL), "tab is a control character");
	CHECK(!text_printable("\x7f", NULL), "DEL is refused");
	CHECK(!text_printable("\xc2\x9b" "31m", NULL), "C1 (U+009B, CSI) is refused");
	CHECK(!text_printable("\xff\xfe", NULL), "bytes that are not UTF-8 are refused");
	CHECK(!text_printable("\xc0\xaf", NULL), "an overlong sequence is refused");
	CHECK(!text_printable("\xed\xa0\x80", NULL), "a surrogate is refused");
	CHECK(!text_printable("\xe4\xb8", NULL), "a cut sequence is refused");
	CHECK_STR(text_escape("a\033[31mb\xc2\x9bz", buf, sizeof(buf)), "a\\x1b[31mb\\xc2\\x9bz", "escaped as \\xHH");
	CHECK_STR(text_escape("香港\007", buf, sizeof(buf)), "香港\\x07", "letters kept, BEL escaped");
	CHECK_STR(text_escape("abc\033", buf, 6), "abc", "an escape that does not fit is cut whole");

	/* rule names: letters of any language and digits, no space, punctuation or symbol */
	CHECK(text_name_valid("香港-日本") && text_name_valid("hk.jp_2") && text_name_valid("Zürich") &&
	    text_name_valid("東京２") && text_name_valid("서울"), "names in any language");
	CHECK(!text_name_valid("") && !text_name_valid("a b") && !text_name_valid("香港　日本") &&
	    !text_name_valid("香港，日本") && !text_name_valid("a;b") && !text_name_valid("a=b") &&
	    !text_name_valid("[a]") && !text_name_valid("a#") && !text_name_valid("a\xe2\x80\x8b" "b") &&
	    !text_name_valid("\xf0\x9f\x98\x80") && !text_name_valid("a\x1b") && !text_name_valid("a\xff"),
	    "no space (ASCII, ideographic, zero-width), punctuation, []=#;, emoji, control or bad byte");
	CHECK(text_name_valid("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十") &&
	    !text_name_valid("一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一"),
	    "40 characters, not 41");
	CHECK(text_width("香港-日本") == 9 && text_width("abc") == 3 && text_width("e\xcc\x81") == 1,
	    "display width: wide 2, combining 0");
	CHECK_STR(text_pad("香港", 6, buf, sizeof(buf)), "香港  ", "padded to 6 columns");
}

/* a value set through the store's editor reads back the same, or is refused */
static void
test_store_values(void)
{
	static const char *const good[] = {
		"plain", "x ; y", "a;b", "a#b", "C#", "香港 到 日本", "100% (ok) = fine", "a'b\"c", "tab-less",
	};
	static const char *const refused[] = {
		"x # y", "#x", "x ; y # z", "a\033[31mRED", "a\tb", "a\x7f", "\xc2\x9b" "1m", "bad\xff", " lead",
		"trail ", "two\nlines",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct store_txn t;
		struct store st;
		struct store_diags d = { 0 };
		char err[ERRLEN] = "";
		const char *vals[3] = { "127.0.0.1:18001", "127.0.0.1:18002", good[i] };
		int ok;

		memset(&t, 0, sizeof(t));
		t.text = strdup("");
		ok = store_edit_set(&t, "rule a", "listen", &vals[0], 1, err) == 0 &&
		    store_edit_set(&t, "rule a", "remote", &vals[1], 1, err) == 0 &&
		    store_edit_set(&t, "rule a", "note", &vals[2], 1, err) == 0 &&
		    store_parse_text(t.text, "t", &st, &d) == 0 && st.nrules == 1;
		CHECK(ok && strcmp(st.rules[0].note, good[i]) == 0, "note '%s' reads back as written ('%s') %s",
		    good[i], ok ? st.rules[0].note : "", err);
		if (ok)
			store_free(&st);
		store_diags_free(&d);
		free(t.text);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char err[ERRLEN] = "", shown[64];

		CHECK(store_value_storable("note", refused[i], err) < 0 && text_printable(err, NULL),
		    "'%s' is refused (%s)", text_escape(refused[i], shown, sizeof(shown)), err);
	}
	{
		struct store st;
		struct store_diags d = { 0 };
		char buf[700];

		CHECK(store_parse_text("[rule a]\nlisten = 127.0.0.1:1\nremote = 127.0.0.1:2\nnote = \033[31mRED\n"
		    "[rule \033]0;x\007b]\n", "t", &st, &d) < 0, "a store holding an escape is invalid");
		CHECK(d.n && !strchr(store_diag_format(&d, 0, buf, sizeof(buf)), '\033'), "its messages hold no ESC: %s",
		    d.n ? buf : "");
		store_free(&st);
		store_diags_free(&d);
	}
}

/* the sysctl file of an import comes from [mptcp], never from the archive */
static void
test_regen(void)
{
	struct bundle b = { 0 };
	struct store st;
	struct store_diags d = { 0 };
	const struct bundle_file *f;
	char err[ERRLEN] = "", want[600];
	static const char evil[] = "net.mptcp.enabled = 1\nkernel.core_pattern = |/bin/sh /tmp/x\n";
	static const char health[] = "web 127.0.0.1:8080 up 0 3 1764000000000 0 ok\n";
	static const char cron[] = "* * * * * root id\n", h1[] = "web \033[2J:80 up 0 3 0 0 ok\n",
	    h2[] = "web 1.2.3.4:80 \033[2J 0 3 0 0 ok\n";

	CHECK(store_parse_text("[mptcp]\nenabled = no\n", "t", &st, &d) == 0, "a store with [mptcp] enabled = no");
	bundle_add(&b, bundle_rel_sysctl(), 0755, evil, sizeof(evil) - 1, err);
	bundle_add(&b, bundle_rel_health(), 0644, health, sizeof(health) - 1, err);
	CHECK(bundle_import_regen(&b, &st, err) == 0, "regenerated (%s)", err);
	f = bundle_find(&b, bundle_rel_sysctl());
	mptcp_sysctl_text(0, want, sizeof(want));
	CHECK(f && !strstr((const char *)f->data, "core_pattern") && !strcmp((const char *)f->data, want) &&
	    f->mode == 0644, "the sysctl file is what 'xwpf mptcp disable' writes, 0644");
	CHECK(b.nwarnings == 1 && strstr(b.warnings[0], "not used"), "one note says the archive's copy was not used");
	f = bundle_find(&b, bundle_rel_health());
	CHECK(f && strstr((const char *)f->data, health), "health lines are kept");
	bundle_free(&b);
	store_free(&st);
	store_diags_free(&d);

	memset(&b, 0, sizeof(b));
	CHECK(store_parse_text("", "t", &st, &d) == 0, "a store without [mptcp]");
	bundle_add(&b, bundle_rel_sysctl(), 0644, evil, sizeof(evil) - 1, err);
	bundle_add(&b, bundle_rel_health(), 0644, cron, strlen(cron), err);
	CHECK(bundle_import_regen(&b, &st, err) == 0 && b.n == 0 && b.nwarnings == 2,
	    "no [mptcp] enabled: no sysctl file; a health file that is not health state: left out");
	bundle_free(&b);
	memset(&b, 0, sizeof(b));
	bundle_add(&b, bundle_rel_health(), 0644, h1, strlen(h1), err);
	CHECK(bundle_import_regen(&b, &st, err) == 0 && b.n == 0, "a health backend holding an escape: left out");
	bundle_free(&b);
	memset(&b, 0, sizeof(b));
	bundle_add(&b, bundle_rel_health(), 0644, h2, strlen(h2), err);
	CHECK(bundle_import_regen(&b, &st, err) == 0 && b.n == 0 && b.nwarnings == 1 &&
	    !strchr(b.warnings[0], '\033'), "a health state holding an escape: left out, the note escapes it (%s)",
	    b.nwarnings ? b.warnings[0] : "");
	bundle_free(&b);
	store_free(&st);
	store_diags_free(&d);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xwpf-test_input.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	paths_set_root(dir);
	test_manifest_dir();
	test_empty_pem();
	test_deep();
	test_text();
	test_store_values();
	test_regen();
	if (!getenv("KEEP_TEST_DIR")) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return T_DONE();
}
