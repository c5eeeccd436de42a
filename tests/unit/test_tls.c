/*
 * TLS: the self-signed certificate read back by openssl, PEM chains and keys,
 * handshakes between our server and client over a socketpair (pin, insecure,
 * store, wrong name, expired, pin mismatch, resumption), and interop with
 * openssl s_client and s_server over loopback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t.h"
#include "paths.h"
#include "tls.h"
#include "tlsfiles.h"
#include "transport.h"
#include "util.h"

static char dir[256];

/* Run a shell command, capture up to size-1 bytes of its stdout; returns the exit status. */
static int
run(char *out, size_t size, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *f;
	size_t n = 0;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (!(f = popen(cmd, "r")))
		return -1;
	if (out) {
		n = fread(out, 1, size - 1, f);
		out[n] = '\0';
	} else {
		char junk[4096];

		while (fread(junk, 1, sizeof(junk), f) > 0)
			;
	}
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct transport
tp(const char *s, enum transport_side side)
{
	struct transport t;
	char err[ERRLEN];

	if (transport_parse(s, side, &t, err) < 0) {
		printf("# transport_parse(%s): %s\n", s, err);
		memset(&t, 0, sizeof(t));
	}
	return t;
}

/* --- a server and a client engine over a socketpair --- */

/* Plaintext for pump_io: out is consumed from, in is appended to. */
struct io {
	const unsigned char *out;
	size_t out_len;
	unsigned char *in;
	size_t in_size, in_len;
};

/* tls_pump as an application drives it: what came in (tls_recvapp)
 * appended to io->in, io->out written into the engine's sendapp buffer and
 * flushed, pumping again until nothing moves. */
static int
pump_io(struct tls_conn *c, int fd, struct io *io, unsigned *want, char *err)
{
	br_ssl_engine_context *eng = tls_engine(c);

	for (;;) {
		unsigned char *b;
		size_t len;
		int r = tls_pump(c, fd, want, err), moved = 0;

		if (r != TLS_OK)
			return r;
		if (io->in_len < io->in_size && (b = tls_recvapp(c, &len))) {
			if (len > io->in_size - io->in_len)
				len = io->in_size - io->in_len;
			memcpy(io->in + io->in_len, b, len);
			io->in_len += len;
			tls_recvapp_ack(c, len);
			moved = 1;
		}
		if (io->out_len && (br_ssl_engine_current_state(eng) & BR_SSL_SENDAPP)) {
			b = br_ssl_engine_sendapp_buf(eng, &len);
			if (len > io->out_len)
				len = io->out_len;
			memcpy(b, io->out, len);
			io->out += len;
			io->out_len -= len;
			br_ssl_engine_sendapp_ack(eng, len);
			br_ssl_engine_flush(eng, 0);
			moved = 1;
		}
		if (!moved)
			return r;
	}
}

static _Thread_local char cli_err[ERRLEN], srv_err[ERRLEN];

/*
 * The client sends n bytes, the server echoes everything back; 1 when the
 * client got them back intact. Errors are left in cli_err / srv_err.
 */
static int
echo(struct tls_conn *sc, struct tls_conn *cc, const unsigned char *data, size_t n)
{
	enum { CAP = 65536 };
	unsigned char *back = malloc(n + 1), *sbuf = malloc(CAP);
	size_t got = 0, start = 0, end = 0;
	struct io sio = { 0 }, cio = { 0 };
	int sv[2], i, ok = 0, rs, rc;

	cli_err[0] = srv_err[0] = '\0';
	if (!back || !sbuf || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	cio.out = data;
	cio.out_len = n;
	for (i = 0; i < 100000; i++) {
		struct pollfd p[2];
		unsigned ws = 0, wc = 0;
		int moved = 0;

		/* the server: pump while it hands over or takes data (the app is the echo) */
		do {
			size_t before = end - start;

			if (end == CAP && start > 0) {
				memmove(sbuf, sbuf + start, end - start);
				end -= start;
				start = 0;
			}
			sio.in = sbuf + end;
			sio.in_size = CAP - end;
			sio.in_len = 0;
			sio.out = sbuf + start;
			sio.out_len = end - start;
			rs = pump_io(sc, sv[0], &sio, &ws, srv_err);
			end += sio.in_len;
			start = (size_t)(sio.out - sbuf);
			if (start == end)
				start = end = 0;
			moved = sio.in_len > 0 || end - start != before;
		} while (moved && rs == TLS_OK);
		do {
			size_t left = cio.out_len;

			cio.in = back + got;
			cio.in_size = n + 1 - got;
			cio.in_len = 0;
			rc = pump_io(cc, sv[1], &cio, &wc, cli_err);
			got += cio.in_len;
			moved = cio.in_len > 0 || cio.out_len != left;
		} while (moved && rc == TLS_OK && got < n);
		if (rs == TLS_ERR || rc == TLS_ERR || rs == TLS_EOF || rc == TLS_EOF)
			break;
		if (got >= n) {
			ok = got == n && memcmp(back, data, n) == 0;
			break;
		}
		if (!ws && end - start == 0 && !wc) {
			snprintf(cli_err, sizeof(cli_err), "nothing to wait for");
			break;
		}
		p[0].fd = sv[0];
		p[0].events = (short)((ws & TLS_WANT_READ ? POLLIN : 0) | (ws & TLS_WANT_WRITE ? POLLOUT : 0));
		p[1].fd = sv[1];
		p[1].events = (short)((wc & TLS_WANT_READ ? POLLIN : 0) | (wc & TLS_WANT_WRITE ? POLLOUT : 0));
		if (!ws && end - start)
			continue;                      /* the server waits for the echo app: run it again */
		if (poll(p, 2, 5000) <= 0) {
			snprintf(cli_err, sizeof(cli_err), "stalled (want server %u client %u)", ws, wc);
			break;
		}
	}
	if (!ok && (*cli_err || *srv_err))
		printf("# client: %s\n# server: %s\n", cli_err, srv_err);
	close(sv[0]);
	close(sv[1]);
	free(back);
	free(sbuf);
	return ok;
}

/* One handshake + echo between a fresh server and client conn. */
static size_t out_size;
static int quiet;
static int pair(struct tls_server *s, struct tls_client *c, size_t n);

struct thr {
	struct tls_server *s;
	struct tls_client *c;
	int ok;
};

static void *
thr_run(void *arg)
{
	struct thr *t = arg;
	int i;

	for (i = 0; i < 8; i++)
		t->ok += pair(t->s, t->c, 20000);
	return NULL;
}

static const char *pair_key = "k";    /* the server's name for the client's session table */
static int pair_resumed[2];           /* the last pair's: client, server */

static int
pair(struct tls_server *s, struct tls_client *c, size_t n)
{
	unsigned char *data = malloc(n ? n : 1);
	struct tls_conn *sc, *cc;
	char err[ERRLEN];
	size_t i;
	int ok;

	for (i = 0; i < n; i++)
		data[i] = (unsigned char)(i * 31 + (i >> 10));
	sc = tls_conn_server(s, out_size, err);
	cc = tls_conn_client(c, pair_key, strlen(pair_key), out_size, err);
	ok = sc && cc && echo(sc, cc, data, n);
	pair_resumed[0] = ok && tls_resumed(cc);
	pair_resumed[1] = ok && tls_resumed(sc);
	if (cc && ok && !quiet) {
		char d[120], pin[TLS_PIN_STRLEN];

		printf("# %s, exit key %s, %zu bytes per server half\n", tls_describe(cc, d, sizeof(d)),
		    tls_seen_pin(cc, pin), tls_conn_size(sc));
	}
	tls_conn_free(sc);
	tls_conn_free(cc);
	free(data);
	return ok;
}

static void
test_selfsigned(void)
{
	char crt[512], key[512], crt2[512], key2[512], err[ERRLEN], out[8192], pin[TLS_PIN_STRLEN], pin2[TLS_PIN_STRLEN];
	char want[64], *p;
	struct stat st;
	struct tls_creds cr;
	time_t now = time(NULL);
	struct tm tm;

	CHECK(tlsf_selfsigned("tunnel.example.com", crt, key, sizeof(crt), err) == 1, "self-signed made on first use");
	CHECK(stat(path_get(PATH_TLS_DIR), &st) == 0 && (st.st_mode & 0777) == 0700, "tls dir is 0700");
	CHECK(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600, "key is 0600");
	CHECK(tlsf_pin_file(crt, pin, err) == 0 && strlen(pin) == 71, "pin of the new certificate: %s", pin);
	CHECK(tlsf_selfsigned("tunnel.example.com", crt2, key2, sizeof(crt2), err) == 0 && !strcmp(crt, crt2),
	    "second call reuses the files");
	CHECK(tlsf_pin_file(crt2, pin2, err) == 0 && !strcmp(pin, pin2), "the pin survives a restart");
	CHECK(tlsf_creds_load(&cr, crt, key, err) == 0 && cr.key_type == BR_KEYTYPE_EC && !strcmp(cr.pin, pin),
	    "our own key and certificate load back");
	tls_creds_free(&cr);

	CHECK(run(out, sizeof(out), "openssl x509 -in %s -text -noout 2>&1", crt) == 0, "openssl x509 parses it");
	CHECK(strstr(out, "DNS:tunnel.example.com") != NULL, "SAN is DNS:tunnel.example.com");
	CHECK(strstr(out, "Subject: CN = tunnel.example.com") != NULL, "subject CN");
	CHECK(strstr(out, "ASN1 OID: prime256v1") != NULL, "key is EC P-256");
	CHECK(strstr(out, "Signature Algorithm: ecdsa-with-SHA256") != NULL, "signed with ECDSA-SHA256");
	CHECK(strstr(out, "Version: 3 (0x2)") != NULL, "X.509 v3");
	CHECK(strstr(out, "CA:FALSE") && strstr(out, "TLS Web Server Authentication"), "CA:FALSE, serverAuth");
	gmtime_r(&now, &tm);
	snprintf(want, sizeof(want), " %d GMT", tm.tm_year + 1900 + 10);
	p = strstr(out, "Not After");
	CHECK(p && strstr(p, want) && strstr(p, want) - p < 40, "valid for 10 years (%s)", want + 1);
	CHECK(run(out, sizeof(out), "openssl verify -CAfile %s %s 2>&1", crt, crt) == 0 && strstr(out, ": OK"),
	    "openssl verify: self-consistent signature (%s)", out);
	CHECK(run(out, sizeof(out), "openssl verify -CAfile %s -verify_hostname tunnel.example.com %s 2>&1", crt, crt) == 0,
	    "openssl verify -verify_hostname matches the SAN");
	CHECK(run(out, sizeof(out), "openssl ec -in %s -noout -check 2>&1", key) == 0, "openssl checks the EC key");
	CHECK(run(out, sizeof(out), "openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform der | "
	    "openssl dgst -sha256 -r | cut -d' ' -f1", crt) == 0 && !strncmp(out, pin + 7, 64),
	    "pin equals openssl's SHA-256 of the SubjectPublicKeyInfo");

	CHECK(tlsf_selfsigned("127.0.0.1", crt2, key2, sizeof(crt2), err) == 1, "self-signed for an IP literal");
	CHECK(run(out, sizeof(out), "openssl x509 -in %s -text -noout 2>&1", crt2) == 0 &&
	    strstr(out, "IP Address:127.0.0.1"), "an IP literal becomes an iPAddress SAN");
	CHECK(tlsf_selfsigned("../evil", crt2, key2, sizeof(crt2), err) < 0 && strstr(err, "not a host name"),
	    "a servername with a slash is refused: %s", err);
	CHECK(tlsf_selfsigned("*.example.com", crt2, key2, sizeof(crt2), err) == 1 && strstr(crt2, "/_.example.com.crt"),
	    "a wildcard name gets a plain file name");
}

/* notAfter read back (tlsf_not_after_file) from certificates minted with known
 * dates: UTCTime before 2050, GeneralizedTime from 2050 on; openssl agrees. */
static void
test_not_after(void)
{
	static const long long when[] = { 1767225599LL, 1580515200LL, 2524608000LL, 4102444799LL };
	char crt[600], key[600], err[ERRLEN], out[512];
	long long na;
	size_t i;

	for (i = 0; i < sizeof(when) / sizeof(when[0]); i++) {
		snprintf(crt, sizeof(crt), "%s/na%zu.crt", dir, i);
		snprintf(key, sizeof(key), "%s/na%zu.key", dir, i);
		na = 0;
		*err = '\0';
		CHECK(tlsf_selfsigned_make("na.test", crt, key, 1500000000LL, when[i], err) == 0 &&
		    tlsf_not_after_file(crt, &na, err) == 0 && na == when[i],
		    "notAfter %lld read back (%lld) %s", when[i], na, err);
	}
	CHECK(run(out, sizeof(out), "date -u -d \"$(openssl x509 -in %s/na2.crt -noout -enddate | cut -d= -f2)\" +%%s",
	    dir) == 0 && atoll(out) == when[2], "openssl reads the same GeneralizedTime notAfter (%s)", out);
	snprintf(crt, sizeof(crt), "%s/na0.key", dir);
	CHECK(tlsf_not_after_file(crt, &na, err) < 0 && *err, "a key file has no notAfter: %s", err);
}

static char rsa_crt[512], rsa_key[512], ca_crt[512], ec_crt[512], ec_key[512];

/* An RSA CA and an RSA server certificate for rsa.test, an EC one for ec.test (PKCS#8 key). */
static int
make_openssl_certs(void)
{
	snprintf(ca_crt, sizeof(ca_crt), "%s/ca.crt", dir);
	snprintf(rsa_crt, sizeof(rsa_crt), "%s/rsa-chain.crt", dir);
	snprintf(rsa_key, sizeof(rsa_key), "%s/rsa.key", dir);
	snprintf(ec_crt, sizeof(ec_crt), "%s/ec.crt", dir);
	snprintf(ec_key, sizeof(ec_key), "%s/ec.key", dir);
	return run(NULL, 0, "cd %s && exec 2>>openssl.log && "
	    "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 30 -subj /CN=xwpf-test-ca "
	    "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign && "
	    "openssl req -new -newkey rsa:2048 -nodes -keyout rsa.key -out rsa.csr -subj /CN=rsa.test && "
	    "printf 'subjectAltName=DNS:rsa.test\\n' > ext && "
	    "openssl x509 -req -in rsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile ext -out rsa.crt && "
	    "cat rsa.crt ca.crt > rsa-chain.crt && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout ec.key -out ec.crt -days 30 "
	    "-subj /CN=ec.test -addext subjectAltName=DNS:ec.test", dir) == 0;
}

static void
test_creds(void)
{
	struct tls_creds cr;
	char err[ERRLEN], path[600], pin[TLS_PIN_STRLEN], out[200];

	CHECK(make_openssl_certs(), "openssl made an RSA chain and an EC P-384 certificate");
	CHECK(tlsf_creds_load(&cr, rsa_crt, rsa_key, err) == 0 && cr.key_type == BR_KEYTYPE_RSA && cr.chain_len == 2,
	    "RSA chain of two and its key load");
	tls_creds_free(&cr);
	CHECK(tlsf_creds_load(&cr, ec_crt, ec_key, err) == 0 && cr.key_type == BR_KEYTYPE_EC,
	    "EC P-384 certificate and PKCS#8 key load");
	CHECK(run(out, sizeof(out), "openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform der | "
	    "openssl dgst -sha256 -r | cut -d' ' -f1", ec_crt) == 0 && !strncmp(out, cr.pin + 7, 64),
	    "pin of an openssl certificate matches openssl's SPKI hash");
	tls_creds_free(&cr);
	CHECK(tlsf_creds_load(&cr, rsa_crt, ec_key, err) < 0 && strstr(err, "does not belong"),
	    "a key of another certificate is refused: %s", err);
	snprintf(path, sizeof(path), "%s/enc.key", dir);
	run(NULL, 0, "openssl pkey -in %s -aes128 -passout pass:x -out %s 2>/dev/null", rsa_key, path);
	CHECK(tlsf_creds_load(&cr, rsa_crt, path, err) < 0 && strstr(err, "encrypted"),
	    "an encrypted key is refused: %s", err);
	snprintf(path, sizeof(path), "%s/nothing", dir);
	CHECK(tlsf_creds_load(&cr, path, rsa_key, err) < 0 && strstr(err, "cannot read"), "a missing file: %s", err);
	CHECK(tlsf_creds_load(&cr, rsa_key, rsa_key, err) < 0 && strstr(err, "no CERTIFICATE"),
	    "a key given as cert=: %s", err);
	CHECK(tlsf_pin_file(ec_crt, pin, err) == 0, "tlsf_pin_file on an openssl certificate");
	{   /* the codec alone: bytes in, a name only for the messages */
		size_t clen = 0, klen = 0;
		char *c = file_read(rsa_crt, &clen), *k = file_read(rsa_key, &klen);
		struct tls_client_conf cf = { "rsa.test", NULL, 0, NULL, NULL };

		CHECK(c && k && tls_creds_parse(&cr, c, clen, "chain.pem", k, klen, "key.pem", err) == 0 &&
		    cr.chain_len == 2, "tls_creds_parse: a chain and its key from bytes");
		tls_creds_free(&cr);
		CHECK(k && tls_creds_parse(&cr, k, klen, "k.pem", k, klen, "k.pem", err) < 0 &&
		    strstr(err, "cert=k.pem holds no CERTIFICATE"), "the name given is the one in the message: %s", err);
		CHECK(c && tls_pin_pem(c, clen, "chain.pem", pin, err) == 0 && strlen(pin) == 71, "tls_pin_pem");
		{   /* the first certificate, or what is wrong with it, by the name given */
			static const char junk[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
			long long na;

			static const char two[] = "-----BEGIN X-----\nAAAA\n-----END X-----\n"
			    "-----BEGIN Y-----\nAAAA\n-----END Y-----\n";

			CHECK(tls_pin_pem(two, sizeof(two) - 1, "t.pem", pin, err) < 0 && strstr(err, "t.pem holds no CERTIFICATE"),
			    "tls_pin_pem on two objects, no certificate: %s", err);
			CHECK(tls_not_after_pem(two, sizeof(two) - 1, "t.pem", &na, err) < 0 &&
			    strstr(err, "t.pem holds no CERTIFICATE"), "tls_not_after_pem on the same: %s", err);
			CHECK(tls_pin_pem(junk, sizeof(junk) - 1, "j.pem", pin, err) < 0 &&
			    strstr(err, "j.pem: the certificate is not valid DER"), "tls_pin_pem on junk: %s", err);
			CHECK(tls_not_after_pem(junk, sizeof(junk) - 1, "j.pem", &na, err) < 0 &&
			    strstr(err, "j.pem: the certificate's validity (notAfter) cannot be read"),
			    "tls_not_after_pem on junk: %s", err);
			CHECK(c && tls_not_after_pem(c, clen, "chain.pem", &na, err) == 0 && na > 0, "tls_not_after_pem");
		}
		CHECK(tls_client_new(&cf, err) == NULL && strstr(err, "no trust anchors"),
		    "a client with neither anchors, pin nor insecure is refused: %s", err);
		free(c);
		free(k);
	}
}

static void
test_handshakes(void)
{
	char err[ERRLEN], pinopt[200], crt[512], key[512], exp_crt[512], exp_key[512];
	struct transport st = tp("tls;servername=tunnel.example.com", TRANSPORT_SERVER), ct;
	struct tls_server *s = tlsf_server(&st, err), *rs, *es;
	struct tls_client *c;
	long long now = (long long)time(NULL);

	CHECK(s != NULL, "server for servername=: %s", s ? "" : err);
	if (!s)
		return;
	printf("# exit pin %s\n", tls_server_pin(s));

	snprintf(pinopt, sizeof(pinopt), "tls;sni=tunnel.example.com;pin=%s", tls_server_pin(s));
	ct = tp(pinopt, TRANSPORT_CLIENT);
	c = tlsf_client(&ct, NULL, err);
	CHECK(c && pair(s, c, 1 << 20), "pin: handshake and 1 MiB echo");
	CHECK(c && !pair_resumed[0] && !pair_resumed[1], "the first connection is a full handshake");
	CHECK(c && pair(s, c, 1000) && pair_resumed[0] && pair_resumed[1],
	    "pin: a second connection resumes the session (both sides say so)");
	pair_key = "another server";
	CHECK(c && pair(s, c, 1000) && !pair_resumed[0] && !pair_resumed[1],
	    "a server of another key gets no session of the first: a full handshake");
	pair_key = "k";
	CHECK(c && pair(s, c, 1000) && pair_resumed[0] && pair_resumed[1],
	    "the first key's session is still kept beside the second's (one per server)");
	out_size = 4096 + 85;
	CHECK(c && pair(s, c, 1 << 20), "4 KiB output records: 1 MiB echo");
	if (c) {     /* engines seeded from the thread's DRBG: every one its own random stream */
		unsigned char r[3][32];
		struct tls_conn *e[3];
		int k, ok = 1;

		e[0] = tls_conn_server(s, 0, err);
		e[1] = tls_conn_server(s, 0, err);
		e[2] = tls_conn_client(c, "k", 1, 0, err);
		for (k = 0; k < 3; k++) {
			ok &= e[k] != NULL;
			if (e[k])
				br_hmac_drbg_generate(&tls_engine(e[k])->rng, r[k], sizeof(r[k]));
		}
		CHECK(ok && memcmp(r[0], r[1], 32) && memcmp(r[0], r[2], 32) && memcmp(r[1], r[2], 32),
		    "each connection's engine draws its own random bytes");
		for (k = 0; k < 3; k++)
			tls_conn_free(e[k]);
	}
	out_size = 0;
	if (c) {     /* worker threads share one server and one client setting (session caches) */
		pthread_t th[4];
		struct thr t[4];
		int k, total = 0;

		quiet = 1;
		for (k = 0; k < 4; k++) {
			t[k].s = s, t[k].c = c, t[k].ok = 0;
			pthread_create(&th[k], NULL, thr_run, &t[k]);
		}
		for (k = 0; k < 4; k++) {
			pthread_join(th[k], NULL);
			total += t[k].ok;
		}
		quiet = 0;
		CHECK(total == 32, "4 threads x 8 connections on shared settings: %d/32 echoed", total);
	}
	tlsf_client_free(c);

	ct = tp("tls;sni=tunnel.example.com;insecure", TRANSPORT_CLIENT);
	c = tlsf_client(&ct, NULL, err);
	CHECK(c && pair(s, c, 100), "insecure: handshake and echo");
	tlsf_client_free(c);

	ct = tp("tls;sni=tunnel.example.com;pin=sha256:0000000000000000000000000000000000000000000000000000000000000000",
	    TRANSPORT_CLIENT);
	c = tlsf_client(&ct, NULL, err);
	CHECK(c && !pair(s, c, 100) && strstr(cli_err, "pin mismatch") && strstr(cli_err, tls_server_pin(s)),
	    "pin mismatch refused, naming the real key: %s", cli_err);
	tlsf_client_free(c);

	/* the trust store holds the self-signed certificate itself */
	tlsf_selfsigned("tunnel.example.com", crt, key, sizeof(crt), err);
	ct = tp("tls;sni=tunnel.example.com", TRANSPORT_CLIENT);
	c = tlsf_client(&ct, crt, err);
	CHECK(c && pair(s, c, 100), "store: a trusted certificate with the right name");
	tlsf_client_free(c);
	ct = tp("tls;sni=other.example.com", TRANSPORT_CLIENT);
	c = tlsf_client(&ct, crt, err);
	CHECK(c && !pair(s, c, 100) && strstr(cli_err, "does not name other.example.com"),
	    "wrong-name certificate refused: %s", cli_err);
	tlsf_client_free(c);
	ct = tp("tls;sni=tunnel.example.com", TRANSPORT_CLIENT);
	c = tlsf_client(&ct, ca_crt, err);
	CHECK(c && !pair(s, c, 100) && strstr(cli_err, "not signed by a CA") && strstr(cli_err, tls_server_pin(s)),
	    "untrusted certificate refused, the message offers the pin: %s", cli_err);
	tlsf_client_free(c);
	CHECK(tlsf_client(&ct, "/nonexistent/certs", err) == NULL && strstr(err, "/nonexistent/certs"),
	    "a missing trust store is named: %s", err);

	/* an IP literal as sni: no SNI sent, the iPAddress SAN is matched */
	{
		struct transport t2 = tp("tls;servername=127.0.0.1", TRANSPORT_SERVER);
		struct tls_server *ips = tlsf_server(&t2, err);
		char ipcrt[512], ipkey[512];

		tlsf_selfsigned("127.0.0.1", ipcrt, ipkey, sizeof(ipcrt), err);
		ct = tp("tls;sni=127.0.0.1", TRANSPORT_CLIENT);
		c = tlsf_client(&ct, ipcrt, err);
		CHECK(ips && c && pair(ips, c, 100), "sni=127.0.0.1 verified against an iPAddress SAN");
		tlsf_client_free(c);
		ct = tp("tls;sni=127.0.0.2", TRANSPORT_CLIENT);
		c = tlsf_client(&ct, ipcrt, err);
		CHECK(ips && c && !pair(ips, c, 100) && strstr(cli_err, "does not name 127.0.0.2"),
		    "sni=127.0.0.2 refused: %s", cli_err);
		tlsf_client_free(c);
		ct = tp("tls;sni=::1;insecure", TRANSPORT_CLIENT);
		c = tlsf_client(&ct, NULL, err);
		CHECK(ips && c && pair(ips, c, 100), "sni=::1 with insecure");
		tlsf_client_free(c);
		tls_server_free(ips);
	}

	/* expired */
	snprintf(exp_crt, sizeof(exp_crt), "%s/expired.crt", dir);
	snprintf(exp_key, sizeof(exp_key), "%s/expired.key", dir);
	CHECK(tlsf_selfsigned_make("old.example.com", exp_crt, exp_key, now - 86400 * 400, now - 86400 * 30, err) == 0,
	    "an expired certificate made");
	{
		struct transport t2 = tp("tls;cert=/x;key=/y", TRANSPORT_SERVER);

		snprintf(t2.cert, sizeof(t2.cert), "%s", exp_crt);
		snprintf(t2.key, sizeof(t2.key), "%s", exp_key);
		es = tlsf_server(&t2, err);
		ct = tp("tls;sni=old.example.com", TRANSPORT_CLIENT);
		c = tlsf_client(&ct, exp_crt, err);
		CHECK(es && c && !pair(es, c, 100) && strstr(cli_err, "expired"), "expired certificate refused: %s", cli_err);
		tlsf_client_free(c);
		tls_server_free(es);
	}

	/* RSA chain signed by a CA */
	{
		struct transport t2 = tp("tls;cert=/x;key=/y", TRANSPORT_SERVER);

		snprintf(t2.cert, sizeof(t2.cert), "%s", rsa_crt);
		snprintf(t2.key, sizeof(t2.key), "%s", rsa_key);
		rs = tlsf_server(&t2, err);
		ct = tp("tls;sni=rsa.test", TRANSPORT_CLIENT);
		c = tlsf_client(&ct, ca_crt, err);
		CHECK(rs && c && pair(rs, c, 300000), "RSA chain verified through its CA: %s", rs ? "" : err);
		tlsf_client_free(c);
		tls_server_free(rs);
	}
	{
		struct transport t2 = tp("tls;cert=/x;key=/y", TRANSPORT_SERVER);

		snprintf(t2.cert, sizeof(t2.cert), "%s", ec_crt);
		snprintf(t2.key, sizeof(t2.key), "%s", ec_key);
		rs = tlsf_server(&t2, err);
		ct = tp("tls;sni=ec.test", TRANSPORT_CLIENT);
		c = tlsf_client(&ct, ec_crt, err);
		CHECK(rs && c && pair(rs, c, 1000), "EC P-384 certificate from openssl, trusted directly");
		tlsf_client_free(c);
		tls_server_free(rs);
	}
	tls_server_free(s);
}

/* --- interop with openssl over loopback --- */

static int
listen_any(unsigned *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &l) < 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* Start argv with stdin/stdout on pipes (non-blocking on our side). */
static pid_t
spawn(char *const argv[], int *to, int *from, const char *errlog)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		int e = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(in[0], 0);
		dup2(out[1], 1);
		if (e >= 0)
			dup2(e, 2);
		close(in[1]);
		close(out[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	*to = in[1];
	*from = out[0];
	return pid;
}

static void
reap(pid_t pid)
{
	int i, st;

	for (i = 0; i < 50; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		if (i == 20)
			kill(pid, SIGTERM);
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

/* Our TLS server on loopback, openssl s_client verifying it against the certificate itself. */
static void
test_s_client(struct tls_server *s, const char *crt)
{
	char port_s[64], err[ERRLEN], seen[256] = "", log[600], desc[120];
	unsigned port, want;
	int lfd = listen_any(&port), to, from, cfd = -1, i, rc = 0, ok = 0;
	size_t seen_n = 0;
	struct tls_conn *c = NULL;
	unsigned char buf[4096];
	struct io io = { 0 };
	int64_t t0;
	pid_t pid;

	snprintf(port_s, sizeof(port_s), "127.0.0.1:%u", port);
	snprintf(log, sizeof(log), "%s/s_client.log", dir);
	{
		char *argv[] = { "openssl", "s_client", "-connect", port_s, "-servername", "tunnel.example.com",
			"-CAfile", (char *)(uintptr_t)crt, "-verify_return_error", "-verify_hostname", "tunnel.example.com",
			"-quiet", "-no_ign_eof", NULL };

		pid = spawn(argv, &to, &from, log);
	}
	CHECK(lfd >= 0 && pid > 0, "s_client started against port %u", port);
	if (write(to, "hello xwpf\n", 11) != 11)
		printf("# write to s_client failed\n");
	{
		struct pollfd p = { .fd = lfd, .events = POLLIN };

		if (poll(&p, 1, 10000) == 1)
			cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	}
	c = cfd >= 0 ? tls_conn_server(s, 0, err) : NULL;
	for (i = 0, t0 = now_ms(); c && i < 2000 && !ok && now_ms() - t0 < 10000; i++) {
		struct pollfd p[2];
		ssize_t n;

		io.in = buf;
		io.in_size = sizeof(buf) - io.out_len;
		io.in_len = 0;
		if (!io.out_len)
			io.out = buf;
		rc = pump_io(c, cfd, &io, &want, err);
		if (io.in_len)                        /* echo it: the buffer holds only that */
			io.out = buf, io.out_len = io.in_len, rc = pump_io(c, cfd, &io, &want, err);
		if (rc != TLS_OK)
			break;
		while ((n = read(from, seen + seen_n, sizeof(seen) - 1 - seen_n)) > 0)
			seen_n += (size_t)n;
		seen[seen_n] = '\0';
		if (strstr(seen, "hello xwpf\n")) {
			ok = 1;
			break;
		}
		p[0].fd = cfd;
		p[0].events = (short)((want & TLS_WANT_READ ? POLLIN : 0) | (want & TLS_WANT_WRITE ? POLLOUT : 0));
		p[1].fd = from;
		p[1].events = POLLIN;
		poll(p, 2, 100);
	}
	CHECK(ok, "openssl s_client verified our certificate and got the echo (%s)", rc == TLS_ERR ? err : "");
	if (c)
		printf("# s_client: %s\n", tls_describe(c, desc, sizeof(desc)));
	close(to);
	reap(pid);
	tls_conn_free(c);
	if (cfd >= 0)
		close(cfd);
	close(lfd);
}

/* openssl s_server -rev behind our TLS client. */
static void
test_s_server(const char *crt, const char *key, const char *opts, const char *name)
{
	char acc[64], err[ERRLEN], log[600], out[4096] = "";
	unsigned port, want;
	int lfd = listen_any(&port), to, from, fd = -1, i, rc = 0, ok = 0;
	struct sockaddr_in a = { .sin_family = AF_INET };
	unsigned char in[256];
	size_t got = 0;
	struct transport t = tp(opts, TRANSPORT_CLIENT);
	struct tls_client *cl = tlsf_client(&t, strstr(opts, "pin=") || strstr(opts, "insecure") ? NULL : crt, err);
	struct tls_conn *c = NULL;
	struct io io = { 0 };
	int64_t t0;
	pid_t pid;

	close(lfd);        /* the port is free again: s_server takes it */
	snprintf(acc, sizeof(acc), "127.0.0.1:%u", port);
	snprintf(log, sizeof(log), "%s/s_server.log", dir);
	{
		char *argv[] = { "openssl", "s_server", "-accept", acc, "-cert", (char *)(uintptr_t)crt, "-key", (char *)(uintptr_t)key,
			"-rev", "-naccept", "1", NULL };

		pid = spawn(argv, &to, &from, log);
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	for (i = 0; i < 100; i++) {        /* until s_server listens: at most 10 s */
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	CHECK(fd >= 0 && cl, "connected to openssl s_server (%s)", name);
	if (fd >= 0)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	c = fd >= 0 && cl ? tls_conn_client(cl, NULL, 0, 0, err) : NULL;
	io.out = (const unsigned char *)"hello\n";
	io.out_len = 6;
	for (i = 0, t0 = now_ms(); c && i < 2000 && now_ms() - t0 < 10000; i++) {
		struct pollfd p;

		io.in = in + got;
		io.in_size = sizeof(in) - 1 - got;
		io.in_len = 0;
		rc = pump_io(c, fd, &io, &want, err);
		got += io.in_len;
		in[got] = '\0';
		if (strstr((char *)in, "olleh\n")) {
			ok = 1;
			break;
		}
		if (rc != TLS_OK)
			break;
		p.fd = fd;
		p.events = (short)((want & TLS_WANT_READ ? POLLIN : 0) | (want & TLS_WANT_WRITE ? POLLOUT : 0));
		poll(&p, 1, 100);
	}
	CHECK(ok, "%s: s_server -rev answered through our client (%s)", name, rc == TLS_ERR ? err : "ok");
	if (c) {
		br_ssl_engine_close(tls_engine(c));
		tls_pump(c, fd, &want, err);
	}
	close(fd);
	close(to);
	reap(pid);
	{
		char *f = file_read(log, NULL);
		char *cs;

		snprintf(out, sizeof(out), "%s", f ? f : "");
		free(f);
		cs = strstr(out, "Ciphersuite: ");
		if (cs && strchr(cs, '\n'))
			*strchr(cs, '\n') = '\0';
	}
	{
		char *v = strstr(out, "Protocol version: "), *cs = strstr(out, "Ciphersuite: ");

		CHECK(v && !strncmp(v + 18, "TLSv1.2", 7), "%s: s_server saw TLSv1.2, %.50s", name,
		    cs ? cs + 13 : "?");
	}
	tls_conn_free(c);
	tlsf_client_free(cl);
	close(from);
}

int
main(void)
{
	char err[ERRLEN], crt[512], key[512];
	struct transport st;
	struct tls_server *s;

	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/xwpf-test_tls.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	paths_set_root(dir);

	test_selfsigned();
	test_not_after();
	test_creds();
	if (access("/etc/ssl/certs", F_OK) == 0) {
		struct tls_anchors an;

		CHECK(tlsf_anchors_load(&an, "/etc/ssl/certs", err) == 0 && an.n > 50,
		    "the system trust store loads (%zu anchors)", an.n);
		tls_anchors_free(&an);
	}
	test_handshakes();

	st = tp("tls;servername=tunnel.example.com", TRANSPORT_SERVER);
	s = tlsf_server(&st, err);
	tlsf_selfsigned("tunnel.example.com", crt, key, sizeof(crt), err);
	if (s && run(NULL, 0, "command -v openssl >/dev/null") == 0) {
		char opt[200];

		test_s_client(s, crt);
		snprintf(opt, sizeof(opt), "tls;sni=tunnel.example.com;pin=%s", tls_server_pin(s));
		test_s_server(crt, key, opt, "EC self-signed, pin");
		test_s_server(rsa_crt, rsa_key, "tls;sni=rsa.test", "RSA chain, store");
		test_s_server(crt, key, "tls;sni=tunnel.example.com;insecure", "EC self-signed, insecure");
	} else
		printf("skip - openssl interop: no openssl\n");
	tls_server_free(s);
	if (!getenv("KEEP_TEST_DIR"))
		run(NULL, 0, "rm -rf %s", dir);
	return T_DONE();
}
