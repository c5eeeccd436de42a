/*
 * TLS engines for the tunnels (BearSSL): the custom profile, the X.509
 * checks (system store, pin, insecure), and the non-blocking pump in the
 * shape of BearSSL's tools/sslio.c run_ssl_engine.
 */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util.h"

#define ERR(...) do { if (err) snprintf(err, ERRLEN, __VA_ARGS__); } while (0)

/* The suites this binary speaks: TLS 1.2, ECDHE, AEAD only. */
static const uint16_t suites_aes_first[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};
static const uint16_t suites_chacha_first[] = {
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

static const struct {
	uint16_t id;
	const char *name;
} suite_names[] = {
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
};

/*
 * Implementations picked once: the lookups run cpuid, which a VM pays for on
 * every call. Threads: the relay runs one event loop per worker thread, so
 * everything shared here (this table, the system store, the session caches)
 * is set up once or locked.
 */
static pthread_once_t impl_once = PTHREAD_ONCE_INIT;
static struct {
	int hw_aes;
	const br_block_ctr_class *ctr;
	br_ghash ghash;
	br_chacha20_run chacha;
	br_poly1305_run poly;
} impl;

static void
pick_impl(void)
{
	int wide = sizeof(void *) == 8;

	if ((impl.ctr = br_aes_x86ni_ctr_get_vtable()) || (impl.ctr = br_aes_pwr8_ctr_get_vtable()))
		impl.hw_aes = 1;
	else
		impl.ctr = wide ? &br_aes_ct64_ctr_vtable : &br_aes_ct_ctr_vtable;
	if (!(impl.ghash = br_ghash_pclmul_get()) && !(impl.ghash = br_ghash_pwr8_get()))
		impl.ghash = wide ? &br_ghash_ctmul64 : &br_ghash_ctmul;
	if (!(impl.chacha = br_chacha20_sse2_get()))
		impl.chacha = &br_chacha20_ct_run;
	if (!(impl.poly = br_poly1305_ctmulq_get()))
		impl.poly = &br_poly1305_ctmul_run;
}

/* The profile: TLS 1.2, ECDHE, AES-GCM and ChaCha20-Poly1305 (AES first with AES instructions). */
static void
profile(br_ssl_engine_context *eng)
{
	pthread_once(&impl_once, pick_impl);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	if (impl.hw_aes)
		br_ssl_engine_set_suites(eng, suites_aes_first, ARRAY_SIZE(suites_aes_first));
	else
		br_ssl_engine_set_suites(eng, suites_chacha_first, ARRAY_SIZE(suites_chacha_first));
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_gcm(eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
	br_ssl_engine_set_aes_ctr(eng, impl.ctr);
	br_ssl_engine_set_ghash(eng, impl.ghash);
	br_ssl_engine_set_chapol(eng, &br_sslrec_in_chapol_vtable, &br_sslrec_out_chapol_vtable);
	br_ssl_engine_set_chacha20(eng, impl.chacha);
	br_ssl_engine_set_poly1305(eng, impl.poly);
	br_ssl_engine_set_default_ec(eng);
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
}

/* --- the X.509 check: delegates to br_x509_minimal (system store), or only
 * decodes the server key (pin, insecure); always hashes the server's SPKI so
 * that errors and logs can name the pin. */

struct xchk {
	const br_x509_class *vtable;
	br_x509_minimal_context *m;          /* NULL: pin or insecure */
	const unsigned char *pin;            /* pin mode */
	unsigned depth;
	unsigned char *ee;
	size_t ee_len, ee_cap;
	br_x509_pkey pkey;
	unsigned char pkbuf[BR_X509_BUFSIZE_KEY];
	unsigned char got[32];
	int have_got, pin_mismatch, decode_err;
	unsigned char ip[16];                /* sni is an IP literal: match an iPAddress SAN */
	size_t iplen;
};

static void
xc_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct xchk *x = (struct xchk *)ctx;

	x->depth = 0;
	x->ee_len = 0;
	x->have_got = x->pin_mismatch = x->decode_err = 0;
	if (x->m)
		x->m->vtable->start_chain(&x->m->vtable, server_name);
}

static void
xc_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct xchk *x = (struct xchk *)ctx;

	if (x->depth == 0 && length <= 65536) {
		free(x->ee);
		x->ee = malloc(length ? length : 1);
		x->ee_cap = x->ee ? length : 0;
		x->ee_len = 0;
	}
	if (x->m)
		x->m->vtable->start_cert(&x->m->vtable, length);
}

static void
xc_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct xchk *x = (struct xchk *)ctx;

	if (x->depth == 0 && x->ee && x->ee_len + len <= x->ee_cap) {
		memcpy(x->ee + x->ee_len, buf, len);
		x->ee_len += len;
	}
	if (x->m)
		x->m->vtable->append(&x->m->vtable, buf, len);
}

static void
xc_end_cert(const br_x509_class **ctx)
{
	struct xchk *x = (struct xchk *)ctx;

	x->depth++;
	if (x->m)
		x->m->vtable->end_cert(&x->m->vtable);
}

static unsigned
xc_end_chain(const br_x509_class **ctx)
{
	struct xchk *x = (struct xchk *)ctx;
	br_x509_decoder_context *xd;
	const br_x509_pkey *pk;
	unsigned rc = 0;

	if (x->ee && x->ee_len == x->ee_cap && tls_spki_sha256(x->ee, x->ee_len, x->got) == 0)
		x->have_got = 1;
	if (x->m) {
		rc = x->m->vtable->end_chain(&x->m->vtable);
		if (rc == 0 && x->iplen && (!x->ee || x->ee_len != x->ee_cap ||
		    !tls_cert_has_ip(x->ee, x->ee_len, x->ip, x->iplen)))
			rc = BR_ERR_X509_BAD_SERVER_NAME;
		return rc;
	}
	if (x->depth == 0 || !x->ee)
		return BR_ERR_X509_EMPTY_CHAIN;
	if (!(xd = malloc(sizeof(*xd))))
		return BR_ERR_X509_LIMIT_EXCEEDED;
	br_x509_decoder_init(xd, NULL, NULL);
	br_x509_decoder_push(xd, x->ee, x->ee_len);
	if (!(pk = br_x509_decoder_get_pkey(xd))) {
		x->decode_err = br_x509_decoder_last_error(xd);
		rc = x->decode_err ? (unsigned)x->decode_err : BR_ERR_X509_INVALID_VALUE;
	} else if (pk->key_type == BR_KEYTYPE_RSA && pk->key.rsa.nlen + pk->key.rsa.elen <= sizeof(x->pkbuf)) {
		x->pkey = *pk;
		x->pkey.key.rsa.n = x->pkbuf;
		x->pkey.key.rsa.e = x->pkbuf + pk->key.rsa.nlen;
		memcpy(x->pkey.key.rsa.n, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(x->pkey.key.rsa.e, pk->key.rsa.e, pk->key.rsa.elen);
	} else if (pk->key_type == BR_KEYTYPE_EC && pk->key.ec.qlen <= sizeof(x->pkbuf)) {
		x->pkey = *pk;
		x->pkey.key.ec.q = x->pkbuf;
		memcpy(x->pkey.key.ec.q, pk->key.ec.q, pk->key.ec.qlen);
	} else
		rc = BR_ERR_X509_UNSUPPORTED;
	free(xd);
	if (rc == 0 && x->pin && (!x->have_got || memcmp(x->got, x->pin, 32) != 0)) {
		x->pin_mismatch = 1;
		rc = BR_ERR_X509_NOT_TRUSTED;
	}
	return rc;
}

static const br_x509_pkey *
xc_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct xchk *x = (const struct xchk *)ctx;

	if (x->m)
		return x->m->vtable->get_pkey(&x->m->vtable, usages);
	if (usages)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return &x->pkey;
}

static const br_x509_class xchk_vtable = {
	sizeof(struct xchk), xc_start_chain, xc_start_cert, xc_append, xc_end_cert, xc_end_chain, xc_get_pkey,
};

/* --- settings ------------------------------------------------------------------- */

/* BearSSL's LRU session cache behind a mutex: one cache serves every worker thread. */
struct locked_cache {
	const br_ssl_session_cache_class *vtable;
	pthread_mutex_t mu;
	br_ssl_session_cache_lru lru;
	unsigned char buf[32768];
};

static void
lc_save(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc, const br_ssl_session_parameters *p)
{
	struct locked_cache *lc = (struct locked_cache *)(void *)ctx;

	pthread_mutex_lock(&lc->mu);
	lc->lru.vtable->save(&lc->lru.vtable, sc, p);
	pthread_mutex_unlock(&lc->mu);
}

static void note_loaded(br_ssl_server_context *sc, const br_ssl_session_parameters *p);

static int
lc_load(const br_ssl_session_cache_class **ctx, br_ssl_server_context *sc, br_ssl_session_parameters *p)
{
	struct locked_cache *lc = (struct locked_cache *)(void *)ctx;
	int r;

	pthread_mutex_lock(&lc->mu);
	r = lc->lru.vtable->load(&lc->lru.vtable, sc, p);
	pthread_mutex_unlock(&lc->mu);
	if (r)
		note_loaded(sc, p);
	return r;
}

static const br_ssl_session_cache_class lc_vtable = { sizeof(struct locked_cache), lc_save, lc_load };

struct tls_server {
	struct tls_creds creds;
	struct locked_cache cache;
};

/* A session kept for resumption, for one server (the caller's key: its address). */
struct tls_kept {
	unsigned char key[TLS_SESSION_KEY_MAX];
	size_t key_len;
	uint64_t used;                       /* the client's clock when last taken or kept: the oldest goes */
	br_ssl_session_parameters session;
	char pin[TLS_PIN_STRLEN];
};

struct tls_client {
	pthread_mutex_t mu;                  /* guards the sessions kept for resumption */
	char sni[256];
	int insecure, has_pin;
	unsigned char pin[32];
	char alpn[128];
	const char *alpn_names[TLS_ALPN_MAX];
	unsigned nalpn;
	const struct tls_anchors *anchors;   /* the caller's */
	struct tls_kept kept[TLS_SESSIONS];
	uint64_t clock;
};

struct tls_server *
tls_server_new(struct tls_creds *cr, char *err)
{
	struct tls_server *s;

	if (!(s = calloc(1, sizeof(*s)))) {
		ERR("out of memory");
		return NULL;
	}
	s->creds = *cr;
	memset(cr, 0, sizeof(*cr));
	s->cache.vtable = &lc_vtable;
	pthread_mutex_init(&s->cache.mu, NULL);
	br_ssl_session_cache_lru_init(&s->cache.lru, s->cache.buf, sizeof(s->cache.buf));
	return s;
}

void
tls_server_free(struct tls_server *s)
{
	if (!s)
		return;
	tls_creds_free(&s->creds);
	pthread_mutex_destroy(&s->cache.mu);
	free(s);
}

const char *
tls_server_pin(const struct tls_server *s)
{
	return s->creds.pin;
}

struct tls_client *
tls_client_new(const struct tls_client_conf *cf, char *err)
{
	struct tls_client *c;

	if (!cf->insecure && !cf->pin && !cf->anchors) {
		ERR("tls: no trust anchors, pin or insecure to check the server by");
		return NULL;
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		ERR("out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	snprintf(c->sni, sizeof(c->sni), "%s", cf->sni ? cf->sni : "");
	c->insecure = cf->insecure;
	if (cf->pin) {
		c->has_pin = 1;
		memcpy(c->pin, cf->pin, 32);
	}
	if (cf->alpn && *cf->alpn) {   /* "h2,http/1.1": offered in that order */
		char *tok, *save = NULL;

		snprintf(c->alpn, sizeof(c->alpn), "%s", cf->alpn);
		for (tok = strtok_r(c->alpn, ",", &save); tok && c->nalpn < TLS_ALPN_MAX; tok = strtok_r(NULL, ",", &save))
			if (*(tok = str_trim(tok)))
				c->alpn_names[c->nalpn++] = tok;
	}
	if (!c->insecure && !c->has_pin)
		c->anchors = cf->anchors;
	return c;
}

const struct tls_anchors *
tls_client_anchors(const struct tls_client *c)
{
	return c->anchors;
}

void
tls_client_free(struct tls_client *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* --- connections ------------------------------------------------------------------ */

#define TLS_AHEAD 5   /* a record header: read with the record before it */

struct tls_conn {
	int server, ready, eof, resumed;
	/* client: the kept session's key; server: the session id the cache gave */
	unsigned char key[TLS_SESSION_KEY_MAX];
	size_t key_len;
	/* the next record's header, read together with the current record's
	 * body (one recv per record instead of two); fed to the engine first */
	unsigned char ahead[TLS_AHEAD];
	unsigned ahead_len;
	br_ssl_engine_context *eng;
	struct tls_client *cl;
	struct xchk *x;
	unsigned char *buf;
	size_t bufsize;
	char peer_pin[TLS_PIN_STRLEN];
	union {
		br_ssl_server_context s;
		br_ssl_client_context c;
	} u;
};

/* A DRBG per thread, seeded from the system at its first use and again
 * every SEED_DRAWS draws, gives each connection's engine 32 bytes: an
 * engine left alone seeds itself from the system at every handshake
 * (br_prng_seeder_system: RDRAND or /dev/urandom), 5% of a tunnel exit's
 * CPU at 2,800 handshakes a second. The relay's workers are threads of
 * one process that never forks, so no two engines share a stream. */
#define SEED_DRAWS 4096
static _Thread_local br_hmac_drbg_context seed_rng;
static _Thread_local unsigned seed_draws;   /* 0: not seeded yet */

static void
seed_engine(br_ssl_engine_context *eng)
{
	unsigned char b[32];

	if (!seed_draws || seed_draws >= SEED_DRAWS) {
		br_prng_seeder sd = br_prng_seeder_system(NULL);

		br_hmac_drbg_init(&seed_rng, &br_sha256_vtable, NULL, 0);
		seed_draws = 0;
		if (!sd || !sd(&seed_rng.vtable))
			return;   /* the engine tries the system itself, and fails the handshake if it cannot */
		seed_draws = 1;
	}
	br_hmac_drbg_generate(&seed_rng, b, sizeof(b));
	seed_draws++;
	br_ssl_engine_inject_entropy(eng, b, sizeof(b));
	eng->rng_os_rand_done = 1;   /* seeded: no system seeding in the engine's reset */
	memset(b, 0, sizeof(b));
}

static struct tls_conn *
conn_alloc(size_t out_size, char *err)
{
	struct tls_conn *c;

	if (out_size == 0 || out_size > BR_SSL_BUFSIZE_OUTPUT)
		out_size = BR_SSL_BUFSIZE_OUTPUT;
	if (out_size < 1024)
		out_size = 1024;
	if (!(c = calloc(1, sizeof(*c))) || !(c->buf = malloc(BR_SSL_BUFSIZE_INPUT + out_size))) {
		free(c);
		ERR("out of memory for a TLS connection");
		return NULL;
	}
	c->bufsize = BR_SSL_BUFSIZE_INPUT + out_size;
	return c;
}

struct tls_conn *
tls_conn_server(struct tls_server *s, size_t out_size, char *err)
{
	struct tls_conn *c = conn_alloc(out_size, err);
	br_ssl_server_context *sc;

	if (!c)
		return NULL;
	c->server = 1;
	sc = &c->u.s;
	br_ssl_server_zero(sc);
	c->eng = &sc->eng;
	profile(c->eng);
	if (s->creds.key_type == BR_KEYTYPE_EC)
		br_ssl_server_set_single_ec(sc, s->creds.chain, s->creds.chain_len, &s->creds.ec, BR_KEYTYPE_SIGN,
		    BR_KEYTYPE_EC, br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
	else
		br_ssl_server_set_single_rsa(sc, s->creds.chain, s->creds.chain_len, &s->creds.rsa, BR_KEYTYPE_SIGN,
		    br_rsa_private_get_default(), br_rsa_pkcs1_sign_get_default());
	br_ssl_server_set_cache(sc, &s->cache.vtable);
	/* our order knows the CPU: ChaCha20 first without AES instructions (ARM), whatever the client likes */
	br_ssl_engine_add_flags(c->eng, BR_OPT_ENFORCE_SERVER_PREFERENCES);
	br_ssl_engine_set_buffers_bidi(c->eng, c->buf, BR_SSL_BUFSIZE_INPUT, c->buf + BR_SSL_BUFSIZE_INPUT,
	    c->bufsize - BR_SSL_BUFSIZE_INPUT);
	seed_engine(c->eng);
	if (!br_ssl_server_reset(sc)) {
		ERR("TLS server reset failed (error %d)", br_ssl_engine_last_error(c->eng));
		tls_conn_free(c);
		return NULL;
	}
	return c;
}

/* The session kept for this key (the server's address), NULL if none. cl->mu held. */
static struct tls_kept *
kept_find(struct tls_client *cl, const unsigned char *key, size_t len)
{
	size_t i;

	for (i = 0; i < TLS_SESSIONS; i++)
		if (cl->kept[i].session.session_id_len && cl->kept[i].key_len == len && !memcmp(cl->kept[i].key, key, len))
			return &cl->kept[i];
	return NULL;
}

/* Where a session for this key goes: its own entry, else the one used longest ago. cl->mu held. */
static struct tls_kept *
kept_slot(struct tls_client *cl, const unsigned char *key, size_t len)
{
	struct tls_kept *k = kept_find(cl, key, len);
	size_t i;

	if (k)
		return k;
	k = &cl->kept[0];
	for (i = 1; i < TLS_SESSIONS; i++)
		if (cl->kept[i].used < k->used)
			k = &cl->kept[i];
	memcpy(k->key, key, len);
	k->key_len = len;
	return k;
}

struct tls_conn *
tls_conn_client(struct tls_client *cl, const void *key, size_t key_len, size_t out_size, char *err)
{
	struct tls_conn *c = conn_alloc(out_size, err);
	br_ssl_client_context *cc;
	int verify = !cl->insecure && !cl->has_pin, resume;

	if (!c)
		return NULL;
	c->cl = cl;
	if (key_len > sizeof(c->key))
		key_len = sizeof(c->key);
	if (key_len)   /* no key (NULL, 0): no session kept for it */
		memcpy(c->key, key, key_len);
	c->key_len = key_len;
	cc = &c->u.c;
	br_ssl_client_zero(cc);
	c->eng = &cc->eng;
	profile(c->eng);
	br_ssl_engine_set_default_rsavrfy(c->eng);
	br_ssl_engine_set_default_ecdsa(c->eng);
	if (!(c->x = calloc(1, sizeof(*c->x) + (verify ? sizeof(br_x509_minimal_context) : 0)))) {
		ERR("out of memory for a TLS connection");
		tls_conn_free(c);
		return NULL;
	}
	c->x->vtable = &xchk_vtable;
	if (inet_pton(AF_INET, cl->sni, c->x->ip) == 1)
		c->x->iplen = 4;
	else if (inet_pton(AF_INET6, cl->sni, c->x->ip) == 1)
		c->x->iplen = 16;
	if (cl->has_pin)
		c->x->pin = cl->pin;
	if (verify) {
		br_x509_minimal_context *m = (br_x509_minimal_context *)(c->x + 1);

		br_x509_minimal_init(m, &br_sha256_vtable, cl->anchors->v, cl->anchors->n);
		br_x509_minimal_set_hash(m, br_sha256_ID, &br_sha256_vtable);
		br_x509_minimal_set_hash(m, br_sha384_ID, &br_sha384_vtable);
		br_x509_minimal_set_hash(m, br_sha512_ID, &br_sha512_vtable);
		br_x509_minimal_set_rsa(m, br_rsa_pkcs1_vrfy_get_default());
		br_x509_minimal_set_ecdsa(m, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
		c->x->m = m;
	}
	br_ssl_engine_set_x509(c->eng, &c->x->vtable);
	br_ssl_engine_set_buffers_bidi(c->eng, c->buf, BR_SSL_BUFSIZE_INPUT, c->buf + BR_SSL_BUFSIZE_INPUT,
	    c->bufsize - BR_SSL_BUFSIZE_INPUT);
	if (cl->nalpn)
		br_ssl_engine_set_protocol_names(c->eng, cl->alpn_names, cl->nalpn);
	pthread_mutex_lock(&cl->mu);
	{
		struct tls_kept *k = kept_find(cl, c->key, c->key_len);

		resume = k != NULL;
		if (k) {
			br_ssl_engine_set_session_parameters(c->eng, &k->session);
			k->used = ++cl->clock;
		}
	}
	pthread_mutex_unlock(&cl->mu);
	seed_engine(c->eng);
	/* no SNI for an IP literal (RFC 6066; rustls refuses it): the SAN check above does the matching */
	if (!br_ssl_client_reset(cc, c->x->iplen ? NULL : cl->sni, resume)) {
		ERR("TLS client reset failed (error %d)", br_ssl_engine_last_error(c->eng));
		tls_conn_free(c);
		return NULL;
	}
	return c;
}

static void
xchk_free(struct tls_conn *c)
{
	if (c->x) {
		free(c->x->ee);
		free(c->x);
		c->x = NULL;
	}
}

void
tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	xchk_free(c);
	if (c->buf)
		memset(c->buf, 0, c->bufsize);   /* keys and plaintext */
	free(c->buf);
	memset(c, 0, sizeof(*c));
	free(c);
}

size_t
tls_conn_size(const struct tls_conn *c)
{
	return sizeof(*c) + c->bufsize + (c->x ? sizeof(*c->x) + (c->x->m ? sizeof(*c->x->m) : 0) : 0);
}

br_ssl_engine_context *
tls_engine(struct tls_conn *c)
{
	return c->eng;
}

unsigned
tls_state(struct tls_conn *c)
{
	return br_ssl_engine_current_state(c->eng);
}

int
tls_ready(const struct tls_conn *c)
{
	return c->ready;
}

const char *
tls_seen_pin(const struct tls_conn *c, char out[TLS_PIN_STRLEN])
{
	*out = '\0';
	if (*c->peer_pin)
		memcpy(out, c->peer_pin, TLS_PIN_STRLEN);
	else if (c->x && c->x->have_got)
		tls_pin_format(c->x->got, out);
	return out;
}

int
tls_last_error(const struct tls_conn *c)
{
	return br_ssl_engine_last_error(c->eng);
}

unsigned char *
tls_recvapp(struct tls_conn *c, size_t *len)
{
	return br_ssl_engine_recvapp_buf(c->eng, len);
}

void
tls_recvapp_ack(struct tls_conn *c, size_t n)
{
	br_ssl_engine_recvapp_ack(c->eng, n);
}

const char *
tls_describe(const struct tls_conn *c, char *buf, size_t size)
{
	const br_ssl_session_parameters *p = &c->eng->session;
	const char *name = "?";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suite_names); i++)
		if (suite_names[i].id == p->cipher_suite)
			name = suite_names[i].name;
	snprintf(buf, size, "TLS%s %s%s", p->version == BR_TLS12 ? "1.2" : "?", name, c->resumed ? " resumed" : "");
	return buf;
}

/* The server's cache gave a session (lc_load): the handshake resumes it
 * unless the client's version or suites no longer allow it, when the server
 * makes a fresh session id (on_ready compares). */
static void
note_loaded(br_ssl_server_context *sc, const br_ssl_session_parameters *p)
{
	struct tls_conn *c = (struct tls_conn *)(void *)((char *)sc - offsetof(struct tls_conn, u.s));

	c->key_len = p->session_id_len <= sizeof(c->key) ? p->session_id_len : 0;
	memcpy(c->key, p->session_id, c->key_len);
}

/* The handshake has just completed. */
static void
on_ready(struct tls_conn *c)
{
	const br_ssl_session_parameters *now = &c->eng->session;
	struct tls_kept *k;

	c->ready = 1;
	if (c->server) {
		c->resumed = c->key_len && now->session_id_len == c->key_len &&
		    !memcmp(now->session_id, c->key, c->key_len);
		return;
	}
	pthread_mutex_lock(&c->cl->mu);
	k = kept_find(c->cl, c->key, c->key_len);
	if (c->x && c->x->have_got)
		tls_pin_format(c->x->got, c->peer_pin);
	else if (k && now->session_id_len && now->session_id_len == k->session.session_id_len &&
	    !memcmp(now->session_id, k->session.session_id, now->session_id_len)) {
		c->resumed = 1;
		memcpy(c->peer_pin, k->pin, sizeof(c->peer_pin));
	}
	if (now->session_id_len) {
		k = kept_slot(c->cl, c->key, c->key_len);
		br_ssl_engine_get_session_parameters(c->eng, &k->session);
		memcpy(k->pin, c->peer_pin, sizeof(c->peer_pin));
		k->used = ++c->cl->clock;
	}
	pthread_mutex_unlock(&c->cl->mu);
	xchk_free(c);                /* renegotiation is off: the checker is done */
}

int
tls_resumed(const struct tls_conn *c)
{
	return c->resumed;
}

static const char *
alert_name(int a)
{
	switch (a) {
	case 0: return "close_notify";
	case 10: return "unexpected_message";
	case 20: return "bad_record_mac";
	case 40: return "handshake_failure";
	case 42: return "bad_certificate";
	case 43: return "unsupported_certificate";
	case 45: return "certificate_expired";
	case 46: return "certificate_unknown";
	case 47: return "illegal_parameter";
	case 48: return "unknown_ca";
	case 50: return "decode_error";
	case 51: return "decrypt_error";
	case 70: return "protocol_version";
	case 71: return "insufficient_security";
	case 80: return "internal_error";
	case 112: return "unrecognized_name";
	case 120: return "no_application_protocol";
	}
	return "alert";
}

/* A readable reason for a failed engine, naming the fix where there is one. */
static void
conn_error(struct tls_conn *c, int e, char *err)
{
	const char *sni = c->cl ? c->cl->sni : "";
	char got[TLS_PIN_STRLEN] = "", want[TLS_PIN_STRLEN];

	if (c->x && c->x->have_got)
		tls_pin_format(c->x->got, got);
	if (e == BR_ERR_X509_NOT_TRUSTED && c->x && c->x->pin_mismatch) {
		tls_pin_format(c->cl->pin, want);
		ERR("tls: pin mismatch: the exit's key changed? expected %s, got %s (a reinstalled exit: check, "
		    "then update pin=)", want, *got ? got : "(unreadable)");
	} else if (e == BR_ERR_X509_NOT_TRUSTED)
		ERR("tls: the certificate of %s is not signed by a CA in the trust store (a self-signed exit? "
		    "use pin=%s)", sni, *got ? got : "sha256:...");
	else if (e == BR_ERR_X509_BAD_SERVER_NAME)
		ERR("tls: the certificate does not name %s (wrong-name certificate: check sni= against the exit's "
		    "certificate, or use pin=%s)", sni, *got ? got : "sha256:...");
	else if (e == BR_ERR_X509_EXPIRED)
		ERR("tls: the certificate of %s has expired or is not yet valid (check the clocks, renew it)", sni);
	else if (e == BR_ERR_X509_NOT_CA)
		ERR("tls: an intermediate of %s is not a CA certificate", sni);
	else if (e >= BR_ERR_X509_OK && e < 64)
		ERR("tls: the server's certificate chain was refused (X.509 error %d)", e);
	else if (e >= BR_ERR_SEND_FATAL_ALERT)
		ERR("tls: sent alert %d (%s) to the peer", e - BR_ERR_SEND_FATAL_ALERT,
		    alert_name(e - BR_ERR_SEND_FATAL_ALERT));
	else if (e >= BR_ERR_RECV_FATAL_ALERT)
		ERR("tls: the peer sent alert %d (%s)%s", e - BR_ERR_RECV_FATAL_ALERT,
		    alert_name(e - BR_ERR_RECV_FATAL_ALERT),
		    e - BR_ERR_RECV_FATAL_ALERT == 48 || e - BR_ERR_RECV_FATAL_ALERT == 42 ?
		    " (it does not trust this certificate)" : "");
	else if (e == BR_ERR_BAD_CIPHER_SUITE || e == BR_ERR_UNSUPPORTED_VERSION || e == BR_ERR_BAD_VERSION)
		ERR("tls: no common protocol (this end speaks TLS 1.2 with ECDHE and AES-GCM or ChaCha20; "
		    "is the peer speaking TLS at all?)");
	else if (e == BR_ERR_BAD_MAC)
		ERR("tls: a record failed its integrity check (data corrupted in transit)");
	else
		ERR("tls: engine error %d%s", e, c->ready ? "" : " during the handshake");
}

/* The engine is closed: TLS_EOF after a clean end, else TLS_ERR with err. */
static int
closed(struct tls_conn *c, char *err)
{
	int e = br_ssl_engine_last_error(c->eng);

	if (e == BR_ERR_OK)
		return TLS_EOF;
	conn_error(c, e, err);
	return TLS_ERR;
}

/* One send of the record bytes the engine holds: 1 some went, 0 the socket is full, -1 error. */
static int
send_rec(struct tls_conn *c, int fd, char *err)
{
	unsigned char *b;
	size_t len;
	ssize_t n;

	b = br_ssl_engine_sendrec_buf(c->eng, &len);
	n = send(fd, b, len, MSG_NOSIGNAL);
	if (n > 0) {
		br_ssl_engine_sendrec_ack(c->eng, (size_t)n);
		return 1;
	}
	if (n < 0 && errno == EINTR)
		return 1;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS))
		return 0;   /* EINPROGRESS: a Fast Open SYN went without the data */
	ERR("tls: send: %s", strerror(n < 0 ? errno : EIO));
	return -1;
}

int
tls_pump_out(struct tls_conn *c, int fd, char *err)
{
	for (;;) {
		unsigned st = br_ssl_engine_current_state(c->eng);
		int r;

		if (st == BR_SSL_CLOSED)
			return closed(c, err);
		if (!(st & BR_SSL_SENDREC) || (r = send_rec(c, fd, err)) == 0)
			return TLS_OK;
		if (r < 0)
			return TLS_ERR;
	}
}

int
tls_pump(struct tls_conn *c, int fd, unsigned *want, char *err)
{
	br_ssl_engine_context *eng = c->eng;
	int rblock = 0, wblock = 0;
	unsigned st;

	*want = 0;
	for (;;) {
		unsigned char *b;
		size_t len;
		ssize_t n;

		st = br_ssl_engine_current_state(eng);
		if (st == BR_SSL_CLOSED)
			return closed(c, err);
		if (!c->ready && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)))
			on_ready(c);
		if ((st & BR_SSL_SENDREC) && !wblock) {
			int r = send_rec(c, fd, err);

			if (r > 0)
				continue;
			if (r < 0)
				return TLS_ERR;
			wblock = 1;
		}
		if ((st & BR_SSL_RECVREC) && c->ahead_len) {
			b = br_ssl_engine_recvrec_buf(eng, &len);
			if (len > c->ahead_len)
				len = c->ahead_len;
			memcpy(b, c->ahead, len);
			memmove(c->ahead, c->ahead + len, c->ahead_len - len);
			c->ahead_len -= (unsigned)len;
			br_ssl_engine_recvrec_ack(eng, len);
			continue;
		}
		if ((st & BR_SSL_RECVREC) && !rblock && !c->eof) {
			struct iovec iov[2];

			b = br_ssl_engine_recvrec_buf(eng, &len);
			iov[0].iov_base = b;
			iov[0].iov_len = len;
			iov[1].iov_base = c->ahead;
			iov[1].iov_len = TLS_AHEAD;
			n = readv(fd, iov, 2);
			if (n > 0) {
				if ((size_t)n > len) {
					c->ahead_len = (unsigned)((size_t)n - len);
					n = (ssize_t)len;
				}
				br_ssl_engine_recvrec_ack(eng, (size_t)n);
				continue;
			}
			if (n == 0) {
				c->eof = 1;
				if (!c->ready) {
					ERR("tls: the peer closed the connection during the handshake (is it a TLS "
					    "endpoint? do both ends agree on the transport?)");
					return TLS_ERR;
				}
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				rblock = 1;
			else {
				ERR("tls: recv: %s", strerror(errno));
				return TLS_ERR;
			}
		}
		break;
	}
	if (c->eof && !c->ahead_len && !(st & BR_SSL_RECVAPP) && !(st & BR_SSL_SENDREC))
		return TLS_EOF;
	if (st & BR_SSL_SENDREC)
		*want |= TLS_WANT_WRITE;
	if ((st & BR_SSL_RECVREC) && !c->eof)
		*want |= TLS_WANT_READ;
	return TLS_OK;
}
