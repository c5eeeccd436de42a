/*
 * Certificates and keys for tls.c, bytes in and out: PEM chains and RSA/EC
 * keys, trust anchors, SPKI pins, and the self-signed EC P-256 certificate
 * behind servername= (BearSSL has no certificate writer: a small DER encoder
 * builds the TBSCertificate, br_ecdsa signs it). Which files hold them is the
 * caller's (lib/relay/tlsfiles.c).
 */
#include "tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

#define ERR(...) do { if (err) snprintf(err, ERRLEN, __VA_ARGS__); } while (0)

/* --- growable byte vector and PEM objects --------------------------------- */

struct vec {
	unsigned char *p;
	size_t n, cap;
	int oom;
};

static void
vec_add(void *ctx, const void *src, size_t len)
{
	struct vec *v = ctx;

	if (v->oom)
		return;
	if (v->n + len > v->cap) {
		size_t cap = v->cap ? v->cap : 256;
		unsigned char *np;

		while (cap < v->n + len)
			cap *= 2;
		if (!(np = realloc(v->p, cap))) {
			v->oom = 1;
			return;
		}
		v->p = np;
		v->cap = cap;
	}
	memcpy(v->p + v->n, src, len);
	v->n += len;
}

struct pem_obj {
	char name[128];
	unsigned char *data;
	size_t len;
};

static void
pem_free(struct pem_obj *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(o[i].data);
	free(o);
}

/* All objects of PEM text (path names it in messages); data without
 * "-----BEGIN " is one DER object. -1 with err. */
static int
pem_decode(const void *data, size_t flen, const char *path, struct pem_obj **out, size_t *nout, char *err)
{
	br_pem_decoder_context pc;
	struct pem_obj *objs = NULL, *no;
	struct vec cur = { 0 };
	const unsigned char *buf = data, *src;
	size_t len, n = 0;
	int inobj = 0, extra = 1;

	*out = NULL;
	*nout = 0;
	if (!memmem(buf, flen, "-----BEGIN ", 11)) {
		if (flen == 0 || buf[0] != 0x30 || !(objs = calloc(1, sizeof(*objs))) ||
		    !(objs->data = malloc(flen))) {
			ERR("%s holds neither PEM nor DER data", path);
			free(objs);
			return -1;
		}
		memcpy(objs->data, buf, flen);
		objs->len = flen;
		*out = objs;
		*nout = 1;
		return 0;
	}
	br_pem_decoder_init(&pc);
	src = buf;
	len = flen;
	while (len > 0) {
		size_t t = br_pem_decoder_push(&pc, src, len);

		src += t;
		len -= t;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			memset(&cur, 0, sizeof(cur));
			br_pem_decoder_setdest(&pc, vec_add, &cur);
			inobj = 1;
			break;
		case BR_PEM_END_OBJ:
			if (!inobj)
				break;
			inobj = 0;
			if (!cur.n) {   /* BEGIN right before END: nothing to read */
				ERR("%s: the PEM object '%.60s' is empty (nothing between its BEGIN and END lines)",
				    path, br_pem_decoder_name(&pc));
				goto fail;
			}
			if (cur.oom || !(no = realloc(objs, (n + 1) * sizeof(*objs)))) {
				free(cur.p);
				ERR("out of memory reading %s", path);
				goto fail;
			}
			objs = no;
			snprintf(objs[n].name, sizeof(objs[n].name), "%s", br_pem_decoder_name(&pc));
			objs[n].data = cur.p;
			objs[n].len = cur.n;
			n++;
			break;
		case BR_PEM_ERROR:
			ERR("%s: malformed PEM", path);
			if (inobj)
				free(cur.p);
			goto fail;
		}
		if (len == 0 && extra) {       /* a file without a final newline */
			src = (const unsigned char *)"\n";
			len = 1;
			extra = 0;
		}
	}
	if (inobj) {
		free(cur.p);
		ERR("%s: unfinished PEM object (no -----END line)", path);
		goto fail;
	}
	*out = objs;
	*nout = n;
	return 0;
fail:
	pem_free(objs, n);
	return -1;
}

/* --- a tiny DER reader: enough to find the SubjectPublicKeyInfo -------------- */

/* Read one TLV at *p (within end): tag, content start and length. -1 if malformed. */
static int
der_next(const unsigned char **p, const unsigned char *end, unsigned *tag,
    const unsigned char **val, size_t *vlen)
{
	const unsigned char *q = *p;
	size_t len, k;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	len = *q++;
	if (len & 0x80) {
		k = len & 0x7f;
		if (k == 0 || k > 3 || (size_t)(end - q) < k)
			return -1;
		for (len = 0; k; k--)
			len = len << 8 | *q++;
	}
	if ((size_t)(end - q) < len)
		return -1;
	*val = q;
	*vlen = len;
	*p = q + len;
	return 0;
}

/* Into a Certificate's TBSCertificate: *p at the serial (past any [0] version), *end its end. */
static int
tbs_open(const unsigned char *der, size_t len, const unsigned char **p, const unsigned char **end)
{
	const unsigned char *q = der, *e, *v, *start;
	unsigned tag;
	size_t vl;

	if (!der || len < 2)   /* no arithmetic on NULL (an empty object) */
		return -1;
	e = der + len;
	if (der_next(&q, e, &tag, &v, &vl) < 0 || tag != 0x30)       /* Certificate */
		return -1;
	q = v;
	e = v + vl;
	if (der_next(&q, e, &tag, &v, &vl) < 0 || tag != 0x30)       /* TBSCertificate */
		return -1;
	q = v;
	e = v + vl;
	start = q;
	if (der_next(&q, e, &tag, &v, &vl) < 0)
		return -1;
	*p = tag == 0xa0 ? q : start;   /* no [0] version: that was the serial */
	*end = e;
	return 0;
}

/*
 * Walk a Certificate to its SubjectPublicKeyInfo (whole TLV) and its
 * extensions block (the content of [3], or none). -1 if malformed.
 */
static int
cert_walk(const unsigned char *der, size_t len, const unsigned char **spki, size_t *spki_len,
    const unsigned char **ext, size_t *ext_len)
{
	const unsigned char *p, *end, *v, *start;
	unsigned tag;
	size_t vl;
	int i;

	*ext = NULL;
	*ext_len = 0;
	if (tbs_open(der, len, &p, &end) < 0)
		return -1;
	/* serial, signature, issuer, validity, subject */
	for (i = 0; i < 5; i++)
		if (der_next(&p, end, &tag, &v, &vl) < 0)
			return -1;
	start = p;
	if (der_next(&p, end, &tag, &v, &vl) < 0 || tag != 0x30)       /* SubjectPublicKeyInfo */
		return -1;
	*spki = start;
	*spki_len = (size_t)(p - start);
	while (p < end) {                                              /* [1], [2] unique ids, [3] extensions */
		if (der_next(&p, end, &tag, &v, &vl) < 0)
			return -1;
		if (tag == 0xa3) {
			const unsigned char *q = v;

			if (der_next(&q, v + vl, &tag, ext, ext_len) < 0 || tag != 0x30)
				return -1;
		}
	}
	return 0;
}

/* fn(der, len, out) on the first certificate of PEM (or DER) data: 0, or
 * -1 with err (no certificate; or fn refused it: "PATH: bad"). */
static int
first_cert_do(const void *data, size_t len, const char *path, int (*fn)(const unsigned char *, size_t, void *),
    void *out, const char *bad, char *err)
{
	struct pem_obj *o;
	size_t i, n;
	int rc = -1;

	if (pem_decode(data, len, path, &o, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!strcmp(o[i].name, "CERTIFICATE") || n == 1)
			break;
	if (i == n)
		ERR("%s holds no CERTIFICATE", path);
	else if (fn(o[i].data, o[i].len, out) < 0)
		ERR("%s: %s", path, bad);
	else
		rc = 0;
	pem_free(o, n);
	return rc;
}

/* Digits p[0..n) as a number; -1 if one is not a digit. */
static long
der_digits(const unsigned char *p, size_t n)
{
	long v = 0;

	for (; n; n--, p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

int
tls_cert_not_after(const unsigned char *der, size_t len, long long *not_after)
{
	const unsigned char *p, *end, *v;
	unsigned tag;
	size_t vl, yl;
	struct tm tm;
	long year;
	int i;

	if (tbs_open(der, len, &p, &end) < 0)
		return -1;
	for (i = 0; i < 4; i++)                                        /* serial, signature, issuer, validity */
		if (der_next(&p, end, &tag, &v, &vl) < 0)
			return -1;
	if (tag != 0x30)
		return -1;
	p = v;
	end = v + vl;
	if (der_next(&p, end, &tag, &v, &vl) < 0 ||                    /* notBefore */
	    der_next(&p, end, &tag, &v, &vl) < 0)                      /* notAfter */
		return -1;
	/* UTCTime YYMMDDHHMMSSZ (years 1950-2049) or GeneralizedTime YYYYMMDDHHMMSSZ */
	yl = tag == 0x17 ? 2 : tag == 0x18 ? 4 : 0;
	if (!yl || vl != yl + 11 || v[vl - 1] != 'Z' || (year = der_digits(v, yl)) < 0)
		return -1;
	if (yl == 2)
		year += year < 50 ? 2000 : 1900;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)(year - 1900);
	tm.tm_mon = (int)der_digits(v + yl, 2) - 1;
	tm.tm_mday = (int)der_digits(v + yl + 2, 2);
	tm.tm_hour = (int)der_digits(v + yl + 4, 2);
	tm.tm_min = (int)der_digits(v + yl + 6, 2);
	tm.tm_sec = (int)der_digits(v + yl + 8, 2);
	if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0)
		return -1;
	*not_after = (long long)timegm(&tm);
	return 0;
}

static int
not_after_of(const unsigned char *der, size_t len, void *out)
{
	return tls_cert_not_after(der, len, out);
}

int
tls_not_after_pem(const void *pem, size_t len, const char *path, long long *not_after, char *err)
{
	return first_cert_do(pem, len, path, not_after_of, not_after,
	    "the certificate's validity (notAfter) cannot be read: is it valid DER?", err);
}

int
tls_spki_sha256(const unsigned char *der, size_t len, unsigned char out[32])
{
	const unsigned char *spki, *ext;
	size_t spki_len, ext_len;
	br_sha256_context sc;

	if (cert_walk(der, len, &spki, &spki_len, &ext, &ext_len) < 0)
		return -1;
	br_sha256_init(&sc);
	br_sha256_update(&sc, spki, spki_len);
	br_sha256_out(&sc, out);
	return 0;
}

int
tls_cert_has_ip(const unsigned char *der, size_t len, const unsigned char *ip, size_t iplen)
{
	static const unsigned char san[] = { 0x55, 0x1d, 0x11 };
	const unsigned char *spki, *ext, *p, *end, *v;
	size_t spki_len, ext_len, vl;
	unsigned tag;

	if (cert_walk(der, len, &spki, &spki_len, &ext, &ext_len) < 0 || !ext)
		return 0;
	for (p = ext, end = ext + ext_len; p < end;) {
		const unsigned char *q, *qe, *oid = NULL, *val = NULL;
		size_t oid_len = 0, val_len = 0;

		if (der_next(&p, end, &tag, &v, &vl) < 0 || tag != 0x30)
			return 0;
		for (q = v, qe = v + vl; q < qe;) {                        /* OID, [critical], OCTET STRING */
			const unsigned char *w;
			size_t wl;

			if (der_next(&q, qe, &tag, &w, &wl) < 0)
				return 0;
			if (tag == 0x06)
				oid = w, oid_len = wl;
			else if (tag == 0x04)
				val = w, val_len = wl;
		}
		if (!oid || !val || oid_len != sizeof(san) || memcmp(oid, san, sizeof(san)))
			continue;
		q = val;
		if (der_next(&q, val + val_len, &tag, &v, &vl) < 0 || tag != 0x30)
			return 0;
		for (q = v, qe = v + vl; q < qe;) {                        /* GeneralNames */
			const unsigned char *w;
			size_t wl;

			if (der_next(&q, qe, &tag, &w, &wl) < 0)
				return 0;
			if (tag == 0x87 && wl == iplen && !memcmp(w, ip, iplen))
				return 1;
		}
	}
	return 0;
}

void
tls_pin_format(const unsigned char hash[32], char out[TLS_PIN_STRLEN])
{
	static const char hex[] = "0123456789abcdef";
	int i;

	memcpy(out, "sha256:", 7);
	for (i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[hash[i] >> 4];
		out[8 + 2 * i] = hex[hash[i] & 15];
	}
	out[7 + 64] = '\0';
}

int
tls_pin_der(const unsigned char *der, size_t len, char out[TLS_PIN_STRLEN])
{
	unsigned char h[32];

	if (tls_spki_sha256(der, len, h) < 0)
		return -1;
	tls_pin_format(h, out);
	return 0;
}

static int
pin_of(const unsigned char *der, size_t len, void *out)
{
	return tls_pin_der(der, len, out);
}

int
tls_pin_pem(const void *pem, size_t len, const char *path, char out[TLS_PIN_STRLEN], char *err)
{
	return first_cert_do(pem, len, path, pin_of, out, "the certificate is not valid DER", err);
}

/* --- chains and keys ------------------------------------------------------- */

void
tls_creds_free(struct tls_creds *cr)
{
	size_t i;

	for (i = 0; i < cr->chain_len; i++)
		free(cr->chain[i].data);
	free(cr->chain);
	free(cr->keybuf);
	memset(cr, 0, sizeof(*cr));
}

/* Copy the decoded key out of the decoder context into one buffer. */
static int
key_copy(struct tls_creds *cr, const br_skey_decoder_context *kd)
{
	unsigned char *b;

	cr->key_type = br_skey_decoder_key_type(kd);
	if (cr->key_type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *k = br_skey_decoder_get_rsa(kd);
		size_t total = k->plen + k->qlen + k->dplen + k->dqlen + k->iqlen;

		if (!(b = cr->keybuf = malloc(total)))
			return -1;
		cr->rsa = *k;
		memcpy(cr->rsa.p = b, k->p, k->plen);
		memcpy(cr->rsa.q = b += k->plen, k->q, k->qlen);
		memcpy(cr->rsa.dp = b += k->qlen, k->dp, k->dplen);
		memcpy(cr->rsa.dq = b += k->dplen, k->dq, k->dqlen);
		memcpy(cr->rsa.iq = b += k->dqlen, k->iq, k->iqlen);
	} else {
		const br_ec_private_key *k = br_skey_decoder_get_ec(kd);

		if (!(cr->keybuf = malloc(k->xlen)))
			return -1;
		cr->ec = *k;
		memcpy(cr->ec.x = cr->keybuf, k->x, k->xlen);
	}
	return 0;
}

/* Does the private key belong to the certificate's public key? */
static int
key_matches(const struct tls_creds *cr, const br_x509_pkey *pk)
{
	if (cr->key_type == BR_KEYTYPE_EC) {
		unsigned char kb[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pub;

		return pk->key_type == BR_KEYTYPE_EC && pk->key.ec.curve == cr->ec.curve &&
		    br_ec_compute_pub(br_ec_get_default(), &pub, kb, &cr->ec) != 0 &&
		    pub.qlen == pk->key.ec.qlen && !memcmp(pub.q, pk->key.ec.q, pub.qlen);
	} else {
		br_rsa_compute_modulus cm = br_rsa_compute_modulus_get_default();
		const unsigned char *n = pk->key.rsa.n;
		size_t nlen = pk->key.rsa.nlen, ml;
		unsigned char *m;
		int ok;

		if (pk->key_type != BR_KEYTYPE_RSA || !(ml = cm(NULL, &cr->rsa)) || !(m = malloc(ml)))
			return 0;
		cm(m, &cr->rsa);
		while (nlen && !*n)
			n++, nlen--;
		ok = ml == nlen && !memcmp(m, n, nlen);
		free(m);
		return ok;
	}
}

int
tls_creds_parse(struct tls_creds *cr, const void *cert, size_t cert_len, const char *cert_path,
    const void *key, size_t key_len, const char *key_path, char *err)
{
	br_x509_decoder_context *xd = NULL;
	br_skey_decoder_context *kd = NULL;
	struct pem_obj *o = NULL;
	const br_x509_pkey *pk;
	size_t n = 0, i;
	int rc = -1;

	memset(cr, 0, sizeof(*cr));
	if (pem_decode(cert, cert_len, cert_path, &o, &n, err) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		br_x509_certificate *nc;

		if (strcmp(o[i].name, "CERTIFICATE") && strcmp(o[i].name, "X509 CERTIFICATE") && o[i].name[0])
			continue;
		if (!(nc = realloc(cr->chain, (cr->chain_len + 1) * sizeof(*nc)))) {
			ERR("out of memory");
			goto out;
		}
		cr->chain = nc;
		cr->chain[cr->chain_len].data = o[i].data;
		cr->chain[cr->chain_len++].data_len = o[i].len;
		o[i].data = NULL;
	}
	if (!cr->chain_len) {
		ERR("cert=%s holds no CERTIFICATE block (want a PEM chain, server certificate first)", cert_path);
		goto out;
	}
	pem_free(o, n);
	o = NULL;
	n = 0;
	if (pem_decode(key, key_len, key_path, &o, &n, err) < 0)
		goto out;
	if (!(kd = malloc(sizeof(*kd))) || !(xd = malloc(sizeof(*xd)))) {
		ERR("out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (strstr(o[i].name, "ENCRYPTED")) {
			ERR("key=%s is encrypted: give an unencrypted key (openssl pkey -in K -out K2)", key_path);
			goto out;
		}
		if (!o[i].name[0] || !strcmp(o[i].name, "PRIVATE KEY") || !strcmp(o[i].name, "RSA PRIVATE KEY") ||
		    !strcmp(o[i].name, "EC PRIVATE KEY"))
			break;
	}
	if (i == n) {
		ERR("key=%s holds no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block", key_path);
		goto out;
	}
	br_skey_decoder_init(kd);
	br_skey_decoder_push(kd, o[i].data, o[i].len);
	if (br_skey_decoder_last_error(kd)) {
		ERR("key=%s: not an RSA or EC private key BearSSL can read (error %d)", key_path,
		    br_skey_decoder_last_error(kd));
		goto out;
	}
	if (key_copy(cr, kd) < 0) {
		ERR("out of memory");
		goto out;
	}
	br_x509_decoder_init(xd, NULL, NULL);
	br_x509_decoder_push(xd, cr->chain[0].data, cr->chain[0].data_len);
	if (!(pk = br_x509_decoder_get_pkey(xd))) {
		ERR("cert=%s: cannot decode the first certificate (error %d)", cert_path, br_x509_decoder_last_error(xd));
		goto out;
	}
	if (!key_matches(cr, pk)) {
		ERR("key=%s does not belong to the first certificate of cert=%s (the server certificate "
		    "must come first, then the intermediates)", key_path, cert_path);
		goto out;
	}
	if (tls_pin_der(cr->chain[0].data, cr->chain[0].data_len, cr->pin) < 0) {
		ERR("cert=%s: cannot find the public key in the first certificate", cert_path);
		goto out;
	}
	rc = 0;
out:
	if (kd)
		memset(kd, 0, sizeof(*kd));
	free(kd);
	free(xd);
	pem_free(o, n);
	if (rc < 0)
		tls_creds_free(cr);
	return rc;
}

/* --- trust anchors ---------------------------------------------------------- */

static int
anchor_add(struct tls_anchors *a, const unsigned char *der, size_t len)
{
	br_x509_decoder_context *xd;
	const br_x509_pkey *pk;
	br_x509_trust_anchor ta;
	struct vec dn = { 0 };
	int rc = -1;

	if (!(xd = malloc(sizeof(*xd))))
		return -1;
	br_x509_decoder_init(xd, vec_add, &dn);
	br_x509_decoder_push(xd, der, len);
	if (!(pk = br_x509_decoder_get_pkey(xd)) || dn.oom)
		goto out;
	memset(&ta, 0, sizeof(ta));
	ta.dn.data = dn.p;
	ta.dn.len = dn.n;
	ta.flags = br_x509_decoder_isCA(xd) ? BR_X509_TA_CA : 0;
	ta.pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		unsigned char *k = malloc(pk->key.rsa.nlen + pk->key.rsa.elen);

		if (!k)
			goto out;
		ta.pkey.key.rsa.n = k;
		ta.pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta.pkey.key.rsa.e = k + pk->key.rsa.nlen;
		ta.pkey.key.rsa.elen = pk->key.rsa.elen;
		memcpy(ta.pkey.key.rsa.n, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(ta.pkey.key.rsa.e, pk->key.rsa.e, pk->key.rsa.elen);
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		if (!(ta.pkey.key.ec.q = malloc(pk->key.ec.qlen)))
			goto out;
		ta.pkey.key.ec.curve = pk->key.ec.curve;
		ta.pkey.key.ec.qlen = pk->key.ec.qlen;
		memcpy(ta.pkey.key.ec.q, pk->key.ec.q, pk->key.ec.qlen);
	} else
		goto out;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		br_x509_trust_anchor *nv = realloc(a->v, cap * sizeof(*nv));

		if (!nv) {
			free(pk->key_type == BR_KEYTYPE_RSA ? ta.pkey.key.rsa.n : ta.pkey.key.ec.q);
			goto out;
		}
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = ta;
	dn.p = NULL;
	rc = 0;
out:
	free(dn.p);
	free(xd);
	return rc;
}

int
tls_anchors_add(struct tls_anchors *a, const void *pem, size_t len, const char *path, char *err)
{
	struct pem_obj *o;
	size_t n, i;

	if (pem_decode(pem, len, path, &o, &n, err) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!strcmp(o[i].name, "CERTIFICATE") || !strcmp(o[i].name, "TRUSTED CERTIFICATE") || !o[i].name[0])
			anchor_add(a, o[i].data, o[i].len);     /* skip what BearSSL cannot decode */
	pem_free(o, n);
	return 0;
}

void
tls_anchors_free(struct tls_anchors *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->v[i].dn.data);
		free(a->v[i].pkey.key_type == BR_KEYTYPE_RSA ? a->v[i].pkey.key.rsa.n : a->v[i].pkey.key.ec.q);
	}
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* --- the self-signed certificate ---------------------------------------------- */

/* DER TLV into out (which must hold 4 + len bytes); returns the bytes written. */
static size_t
der(unsigned char *out, unsigned tag, const void *val, size_t len)
{
	size_t h = 0;

	out[h++] = (unsigned char)tag;
	if (len < 0x80)
		out[h++] = (unsigned char)len;
	else if (len < 0x100) {
		out[h++] = 0x81;
		out[h++] = (unsigned char)len;
	} else {
		out[h++] = 0x82;
		out[h++] = (unsigned char)(len >> 8);
		out[h++] = (unsigned char)len;
	}
	memmove(out + h, val, len);
	return h + len;
}

/* Concatenate into a growing buffer */
struct dbuf {
	unsigned char b[1536];
	size_t n;
	int over;
};

static void
put(struct dbuf *d, unsigned tag, const void *val, size_t len)
{
	if (d->over || d->n + len + 4 > sizeof(d->b)) {
		d->over = 1;
		return;
	}
	d->n += der(d->b + d->n, tag, val, len);
}

static void
put_raw(struct dbuf *d, const void *val, size_t len)
{
	if (d->over || d->n + len > sizeof(d->b)) {
		d->over = 1;
		return;
	}
	memcpy(d->b + d->n, val, len);
	d->n += len;
}

static void
put_time(struct dbuf *d, long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char s[20];

	gmtime_r(&tt, &tm);
	if (tm.tm_year + 1900 < 2050) {
		strftime(s, sizeof(s), "%y%m%d%H%M%SZ", &tm);
		put(d, 0x17, s, 13);            /* UTCTime */
	} else {
		strftime(s, sizeof(s), "%Y%m%d%H%M%SZ", &tm);
		put(d, 0x18, s, 15);            /* GeneralizedTime */
	}
}

static const unsigned char oid_ecdsa_sha256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const unsigned char oid_ec_pubkey[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };
static const unsigned char oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char oid_cn[] = { 0x06, 0x03, 0x55, 0x04, 0x03 };
static const unsigned char ext_tail[] = {
	/* basicConstraints, critical: CA:FALSE */
	0x30, 0x0c, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff, 0x04, 0x02, 0x30, 0x00,
	/* keyUsage, critical: digitalSignature */
	0x30, 0x0e, 0x06, 0x03, 0x55, 0x1d, 0x0f, 0x01, 0x01, 0xff, 0x04, 0x04, 0x03, 0x02, 0x07, 0x80,
	/* extKeyUsage: serverAuth */
	0x30, 0x13, 0x06, 0x03, 0x55, 0x1d, 0x25, 0x04, 0x0c, 0x30, 0x0a,
	0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01,
};

/* The Name CN=name */
static void
put_name(struct dbuf *d, const char *name)
{
	struct dbuf atv = { .n = 0 }, set = { .n = 0 };

	put_raw(&atv, oid_cn, sizeof(oid_cn));
	put(&atv, 0x0c, name, strlen(name));          /* UTF8String */
	put(&set, 0x30, atv.b, atv.n);
	atv.n = 0;
	put(&atv, 0x31, set.b, set.n);
	put(d, 0x30, atv.b, atv.n);
}

static int
rng_init(br_hmac_drbg_context *rng)
{
	br_prng_seeder seeder = br_prng_seeder_system(NULL);

	br_hmac_drbg_init(rng, &br_sha256_vtable, NULL, 0);
	return seeder && seeder(&rng->vtable) ? 0 : -1;
}

/* DER as PEM text (malloc'd, NUL-terminated), its length in *n; NULL when out of memory. */
static char *
pem_text(const char *banner, const unsigned char *der_data, size_t len, size_t *n)
{
	char *pem;

	*n = br_pem_encode(NULL, der_data, len, banner, BR_PEM_LINE64);
	if ((pem = malloc(*n + 1)))
		br_pem_encode(pem, der_data, len, banner, BR_PEM_LINE64);
	return pem;
}

int
tls_selfsigned_pem(const char *name, long long not_before, long long not_after, char **cert_pem,
    size_t *cert_len, char **key_pem, size_t *key_len, char *err)
{
	struct dbuf tbs, tmp, ext, cert, spki;
	unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE], pbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	unsigned char serial[16], hash[32], sig[80], keyder[256], bits[160], ip[16];
	const br_ec_impl *ec = br_ec_get_default();
	br_hmac_drbg_context rng;
	br_ec_private_key sk;
	br_ec_public_key pk;
	br_sha256_context sc;
	size_t siglen, klen, iplen = 0;
	int rc = -1;

	*cert_pem = *key_pem = NULL;
	if (!*name || strlen(name) > 253) {
		ERR("servername '%s' is empty or too long", name);
		return -1;
	}
	if (rng_init(&rng) < 0) {
		ERR("no system randomness to make a key");
		return -1;
	}
	if (!br_ec_keygen(&rng.vtable, ec, &sk, kbuf, BR_EC_secp256r1) || !br_ec_compute_pub(ec, &pk, pbuf, &sk)) {
		ERR("P-256 key generation failed");
		goto out;
	}
	br_hmac_drbg_generate(&rng, serial, sizeof(serial));
	serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);    /* positive, 16 bytes */

	tbs.n = tbs.over = 0;
	put_raw(&tbs, "\xa0\x03\x02\x01\x02", 5);                  /* [0] version v3 */
	put(&tbs, 0x02, serial, sizeof(serial));
	put(&tbs, 0x30, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256));
	put_name(&tbs, name);                                      /* issuer = subject */
	tmp.n = tmp.over = 0;
	put_time(&tmp, not_before);
	put_time(&tmp, not_after);
	put(&tbs, 0x30, tmp.b, tmp.n);                             /* validity */
	put_name(&tbs, name);
	spki.n = spki.over = 0;
	tmp.n = 0;
	put_raw(&tmp, oid_ec_pubkey, sizeof(oid_ec_pubkey));
	put_raw(&tmp, oid_p256, sizeof(oid_p256));
	put(&spki, 0x30, tmp.b, tmp.n);
	bits[0] = 0;
	memcpy(bits + 1, pk.q, pk.qlen);
	put(&spki, 0x03, bits, pk.qlen + 1);
	put(&tbs, 0x30, spki.b, spki.n);
	/* SAN: an IP literal as iPAddress, anything else as dNSName */
	if (inet_pton(AF_INET, name, ip) == 1)
		iplen = 4;
	else if (inet_pton(AF_INET6, name, ip) == 1)
		iplen = 16;
	tmp.n = 0;
	if (iplen)
		put(&tmp, 0x87, ip, iplen);
	else
		put(&tmp, 0x82, name, strlen(name));
	spki.n = 0;                                                /* reuse as scratch */
	put(&spki, 0x30, tmp.b, tmp.n);
	tmp.n = 0;
	put_raw(&tmp, "\x06\x03\x55\x1d\x11", 5);
	put(&tmp, 0x04, spki.b, spki.n);
	ext.n = ext.over = 0;
	put(&ext, 0x30, tmp.b, tmp.n);
	put_raw(&ext, ext_tail, sizeof(ext_tail));
	tmp.n = 0;
	put(&tmp, 0x30, ext.b, ext.n);
	put(&tbs, 0xa3, tmp.b, tmp.n);                             /* [3] extensions */
	tmp.n = 0;
	put(&tmp, 0x30, tbs.b, tbs.n);                             /* TBSCertificate */
	if (tbs.over || tmp.over || ext.over || spki.over) {
		ERR("servername '%s' is too long for a certificate", name);
		goto out;
	}
	br_sha256_init(&sc);
	br_sha256_update(&sc, tmp.b, tmp.n);
	br_sha256_out(&sc, hash);
	if (!(siglen = br_ecdsa_sign_asn1_get_default()(ec, &br_sha256_vtable, hash, &sk, sig))) {
		ERR("ECDSA signing failed");
		goto out;
	}
	cert.n = cert.over = 0;
	put_raw(&cert, tmp.b, tmp.n);
	put(&cert, 0x30, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256));
	bits[0] = 0;
	memcpy(bits + 1, sig, siglen);
	put(&cert, 0x03, bits, siglen + 1);
	tmp.n = 0;
	put(&tmp, 0x30, cert.b, cert.n);                           /* Certificate */
	if (cert.over || tmp.over) {
		ERR("servername '%s' is too long for a certificate", name);
		goto out;
	}
	if (!(klen = br_encode_ec_raw_der(keyder, &sk, &pk))) {
		ERR("cannot encode the EC key");
		goto out;
	}
	if (!(*key_pem = pem_text("EC PRIVATE KEY", keyder, klen, key_len)) ||
	    !(*cert_pem = pem_text("CERTIFICATE", tmp.b, tmp.n, cert_len))) {
		ERR("out of memory");
		if (*key_pem)
			memset(*key_pem, 0, *key_len);
		free(*key_pem);
		*key_pem = NULL;
		goto out;
	}
	rc = 0;
out:
	memset(kbuf, 0, sizeof(kbuf));
	memset(keyder, 0, sizeof(keyder));
	memset(&rng, 0, sizeof(rng));
	return rc;
}
