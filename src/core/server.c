#include "core/server.h"
#include "core/log.h"

int server_run(const struct config *cfg, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (cfg->http_socket.n == 0 && cfg->uwsgi_socket.n == 0) {
		log_msg("no socket configured: use http-socket or socket");
		return 1;
	}
	log_msg("server core not built yet");
	return 1;
}
