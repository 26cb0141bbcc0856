/*
 * test_config.c — the settings file: values, and errors that name the
 * file, the line and the key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

struct conf_case {
	const char	*label;
	const char	*text;
	const char	*error;		/* substring of the error, NULL = ok */
};

static const struct conf_case cases[] = {
	{ "empty", "", NULL },
	{ "comments", "# hello\n\n   # indented\n", NULL },
	{ "values", "relay_batch = 50\nmax_message_size = 2M\n"
	    "relay = smtp://127.0.0.1:25 # trailing comment\n", NULL },
	{ "unknown key", "\n\nrelya = x\n", ":3: unknown setting 'relya'" },
	{ "no equals", "relay_batch 5\n", ":1: expected 'key = value'" },
	{ "not a number", "relay_batch = lots\n",
	    ":1: relay_batch: not a number: 'lots'" },
	{ "out of range", "relay_batch = 0\n", ":1: relay_batch: out of range" },
	{ "too few recipients", "max_recipients = 10\n", "out of range" },
	{ "bad size", "max_message_size = 10Q\n", "not a size" },
	{ "bad listen", "lmtp_listen = localhost\n", "lmtp_listen" },
	{ "bad port", "smtp_listen = 127.0.0.1:99999\n", "bad port" },
	{ "bad relay", "relay = ftp://x\n", ":1: relay:" },
	{ "bad level", "log_level = loud\n", "log_level" },
	{ "bad demo", "demo_list = not an address\n", "demo_list" },
	{ "socket mode", "lmtp_socket_mode = 0640\nlmtp_socket_group = root\n"
	    "socketmap_listen = unix:/tmp/x\n", NULL },
	{ "mode not octal", "lmtp_socket_mode = 0689\n",
	    ":1: lmtp_socket_mode: not an octal mode: '0689'" },
	{ "mode negative", "lmtp_socket_mode = -1\n", "not an octal mode" },
	{ "mode too big", "\nlmtp_socket_mode = 01777\n",
	    ":2: lmtp_socket_mode: out of range" },
	{ "no such group", "lmtp_socket_group = no-such-group-here\n",
	    ":1: lmtp_socket_group: no such group: 'no-such-group-here'" },
	{ "bad socketmap", "socketmap_listen = nowhere\n", "socketmap_listen" },
	{ "resolvers", "resolver = 127.0.0.1:5353,[::1]:53,10.0.0.1,[::1]\n"
	    "dmarc_timeout = 1\n", NULL },
	{ "resolver off", "resolver = off\n", NULL },
	{ "resolver name", "resolver = dns.example\n",
	    ":1: resolver: expected empty, off, or servers" },
	{ "resolver port", "resolver = 127.0.0.1:0\n", "resolver" },
	{ "resolver v6 bare", "resolver = ::1\n", "resolver" },
	{ "resolver v6 junk", "resolver = [::1]x\n", "resolver" },
	{ "resolver empty item", "resolver = 127.0.0.1,\n", "resolver" },
	{ "dmarc timeout", "dmarc_timeout = 0\n", "dmarc_timeout: out of range" },
};

static char *
write_conf(const char *text)
{
	char *path = strdup("/tmp/postino-test-conf-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_cases(void **state)
{
	struct config cfg;
	char *path, *error;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = write_conf(cases[i].text);
		config_defaults(&cfg);
		error = NULL;
		rc = config_load(&cfg, path, &error);
		if (cases[i].error == NULL && rc != 0)
			fail_msg("%s: unexpected error %s", cases[i].label, error);
		if (cases[i].error != NULL) {
			if (rc == 0)
				fail_msg("%s: accepted", cases[i].label);
			if (strstr(error, cases[i].error) == NULL ||
			    strncmp(error, path, strlen(path)) != 0)
				fail_msg("%s: error '%s' lacks '%s'",
				    cases[i].label, error, cases[i].error);
		}
		free(error);
		config_free(&cfg);
		unlink(path);
		free(path);
	}
}

static void
test_values_and_defaults(void **state)
{
	struct config cfg;
	char *path, *error = NULL;

	(void)state;
	path = write_conf("relay_batch = 50\nmax_message_size = 2M\n"
	    "relay = lmtp:unix:/tmp/x.sock\n");
	config_defaults(&cfg);
	assert_int_equal(config_load(&cfg, path, &error), 0);
	assert_int_equal(cfg.relay_batch, 50);
	assert_int_equal(cfg.max_message_size, 2 * 1024 * 1024);
	assert_string_equal(cfg.relay, "lmtp:unix:/tmp/x.sock");
	assert_string_equal(cfg.lmtp_listen, "127.0.0.1:2424");
	assert_string_equal(cfg.demo_list, "");	/* only without a file */
	assert_int_equal(cfg.lmtp_socket_mode, 0660);
	assert_string_equal(cfg.lmtp_socket_group, "");
	assert_string_equal(cfg.socketmap_listen, "off");
	assert_string_equal(cfg.path, path);
	config_free(&cfg);
	unlink(path);
	free(path);
}

static void
test_missing_file(void **state)
{
	struct config cfg;
	char *error = NULL;

	(void)state;
	config_defaults(&cfg);
	assert_int_equal(config_load(&cfg, "/nonexistent/postino.conf",
	    &error), -1);
	assert_non_null(strstr(error, "/nonexistent/postino.conf: "));
	free(error);
	config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_values_and_defaults),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
