# tests/tunnel/lib.sh: helpers for the tunnel_*, proxy_* and mptcp_relay scenarios
# (sourced after tests/lib.sh and tests/relay/common.sh). Each xwpf end runs
# under its own root, so a relay and an exit are two separate processes.

# end_start NAME: run `xwpf relay` under $T_DIR/NAME with the store on stdin
end_start() {
	local name=$1 root=$T_DIR/$1
	mkdir -p "$root/etc/xwpf"
	cat > "$root/etc/xwpf/xwpf.conf"
	rm -f "$root/run/xwpf/stats"
	XWPF_ROOT=$root spawn "$XWPF" relay 2>>"$T_DIR/$name.log"
	eval "PID_$name=$!"
	wait_for 10 test -s "$root/run/xwpf/stats" || { fail "$name: relay did not start"; cat "$T_DIR/$name.log"; return 1; }
}

# end_stop NAME: SIGTERM, wait; the relay's exit status (0 expected; a
# sanitizer's leak report makes it non-zero)
end_stop() {
	local v="PID_$1" rc
	[ -n "${!v:-}" ] || return 0
	kill -TERM "${!v}" 2>/dev/null
	wait "${!v}" 2>/dev/null
	rc=$?
	eval "PID_$1="
	return $rc
}

# no_sanitizer_reports: no ASan/UBSan/LSan report in any log of this test
no_sanitizer_reports() {
	! grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T_DIR"/*.log 2>/dev/null
}

# end_log NAME: the log so far
end_log() { cat "$T_DIR/$1.log" 2>/dev/null; }

# log_has NAME SECONDS REGEX: until the end's log matches (bounded)
log_has() { wait_for "$2" grep -qE -- "$3" "$T_DIR/$1.log"; }

# spki_pin CERT: sha256:HEX of the certificate's public key (what pin= wants)
spki_pin() {
	echo "sha256:$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)"
}

# mkca DIR: a test CA (ca.crt/ca.key) and server certificates signed by it:
# good.crt (exit.test), wrong.crt (other.test), expired.crt (exit.test, expired)
mkca() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
		    -days 30 -subj "/CN=xwpf test CA" -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign
		for n in good:exit.test wrong:other.test expired:exit.test; do
			f=${n%%:*} cn=${n#*:}
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $f.key -out $f.csr -subj "/CN=$cn"
			printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$cn" > $f.ext
			if [ $f = expired ]; then   # openssl ca takes explicit dates
				mkdir -p db && : > db/index && echo 01 > db/serial
				printf '[ca]\ndefault_ca=c\n[c]\ndatabase=db/index\nserial=db/serial\nnew_certs_dir=db\n%s\n' \
				    'default_md=sha256
policy=p
[p]
commonName=supplied' > ca.cnf
				openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in $f.csr -out $f.crt -notext \
				    -startdate 20200101000000Z -enddate 20200201000000Z -extfile $f.ext
			else
				openssl x509 -req -in $f.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $f.crt -days 30 \
				    -extfile $f.ext
			fi
			cat $f.crt ca.crt > $f.chain.pem
		done
	) >/dev/null 2>&1
	test -s "$d/good.crt" && test -s "$d/expired.crt"
}
