export const USAGE = `mtls-proxy: a local forward HTTPS proxy that lends client certificates (mTLS) to any program.

Usage:
  mtls-proxy start  [-c FILE] [--host H] [--port N] [--log-level L] [--log-format json|pretty]
                                               run the proxy until Ctrl-C (SIGINT) or SIGTERM
  mtls-proxy check  [-c FILE]                  validate the config, load every certificate, print a table
  mtls-proxy match  HOST[:PORT] | URL [-c FILE]
                                               which rule and which certificate this host gets
  mtls-proxy probe  HOST[:PORT] | URL [-c FILE]
                                               connect as the proxy would and send HEAD /: exit 0 when the server
                                               answers without refusing the client certificate (with no rule:
                                               when it answers), 1 when it refuses it or the connection fails
  mtls-proxy ca     [-c FILE] [--der] [--out FILE]
                                               create the CA if missing, print it and how to trust it
  mtls-proxy demo                              show injection end to end with throwaway files, then clean up
  mtls-proxy env    [-c FILE] [--shell sh|fish|powershell]
                                               print what points programs at this proxy: eval "$(mtls-proxy env)"
  mtls-proxy run    [-c FILE] [--log-level L] -- COMMAND [ARGS...]
                                               run one command through a proxy of its own
  mtls-proxy trust  [-c FILE] [--system] [--nss DIR]... [--java] [--dry-run]
                                               add the CA to trust stores (without an option: those found here)
  mtls-proxy untrust [the same options]        remove exactly what trust added
  mtls-proxy --help | --version

Options:
  -c, --config FILE   the config file; without it $MTLS_PROXY_CONFIG, else ./config.yaml
                      when it exists, else ./config.yml, else the built-in defaults
                      (no rules, 127.0.0.1:8080)
  --host H            listen address (overrides listen.host)
  --port N            listen port, 0 for any free one (overrides listen.port)
  --log-level L       trace, debug, info, warn or error (overrides log.level)
  --log-format F      json or pretty (overrides log.format)
  --der               write the CA certificate as DER instead of PEM
  --out FILE          write the CA certificate to FILE instead of stdout
  --shell S           sh (the default), fish or powershell: the syntax env prints
  --system            the system's trust store (update-ca-certificates, update-ca-trust, macOS security)
  --nss DIR           an NSS database (sql: format), e.g. ~/.pki/nssdb or a Firefox profile; repeatable
  --java              Java's cacerts, through keytool ($MTLS_PROXY_JAVA_CACERTS names another keystore)
  --dry-run           print the commands trust or untrust would run, change nothing
  --debug             print stack traces with errors

Exit codes: 0 success, 1 unexpected failure (or a trust store that failed), 2 configuration or usage error;
run exits with its command's code (127: the command cannot be started).
`;
