export const USAGE = `mtls-proxy: a local forward HTTPS proxy that lends client certificates (mTLS) to any program.

Usage:
  mtls-proxy start  [-c FILE] [--host H] [--port N] [--log-level L] [--log-format json|pretty]
                                               run the proxy until Ctrl-C (SIGINT) or SIGTERM
  mtls-proxy check  [-c FILE]                  validate the config, load every certificate, print a table
  mtls-proxy match  HOST[:PORT] [-c FILE]      which rule and which certificate this host gets
  mtls-proxy ca     [-c FILE] [--der] [--out FILE]
                                               create the CA if missing, print it and how to trust it
  mtls-proxy demo                              show injection end to end with throwaway files, then clean up
  mtls-proxy --help | --version

Options:
  -c, --config FILE   the config file; without it $MTLS_PROXY_CONFIG, else ./config.yaml
                      when it exists, else the built-in defaults (no rules, 127.0.0.1:8080)
  --host H            listen address (overrides listen.host)
  --port N            listen port, 0 for any free one (overrides listen.port)
  --log-level L       trace, debug, info, warn or error (overrides log.level)
  --log-format F      json or pretty (overrides log.format)
  --der               write the CA certificate as DER instead of PEM
  --out FILE          write the CA certificate to FILE instead of stdout
  --debug             print stack traces with errors

Exit codes: 0 success, 1 unexpected failure, 2 configuration or usage error.
`;
