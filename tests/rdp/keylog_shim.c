/* keylog_shim.c - LD_PRELOAD library that makes any OpenSSL program write
 * an NSS key log (SSLKEYLOGFILE format) to $HS_KEYLOG_FILE.
 *
 * FreeRDP 2 has no SSLKEYLOGFILE support; OpenSSL 1.1.1+ gives every
 * SSL_CTX a key log callback (SSL_CTX_set_keylog_callback) that receives
 * each line (CLIENT_RANDOM for TLS 1.2, the *_TRAFFIC_SECRET_* lines for
 * TLS 1.3).  This shim wraps SSL_new, the one call every connection goes
 * through whatever way the SSL_CTX was made, and installs the callback on
 * its context.  Used by captures/generated/rdp/make.sh only.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

static void keylog_line(const SSL *ssl, const char *line)
{
	(void)ssl;
	const char *path = getenv("HS_KEYLOG_FILE");
	if (!path || !*path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	size_t n = strlen(line);
	/* one write per line: both processes may append to the same file */
	char buf[1024];
	if (n + 1 <= sizeof buf) {
		memcpy(buf, line, n);
		buf[n] = '\n';
		(void)!write(fd, buf, n + 1);
	}
	close(fd);
}

SSL *SSL_new(SSL_CTX *ctx)
{
	static SSL *(*real)(SSL_CTX *);
	if (!real)
		real = (SSL *(*)(SSL_CTX *))dlsym(RTLD_NEXT, "SSL_new");
	if (!real)
		abort();
	if (ctx)
		SSL_CTX_set_keylog_callback(ctx, keylog_line);
	return real(ctx);
}
