export const USAGE = `mtls-proxy: a local forward HTTPS proxy that lends client certificates (mTLS) to any program.

Usage:
  mtls-proxy start  [-c FILE] [--host H] [--port N] [--log-level L] [--log-format json|pretty]
  mtls-proxy check  [-c FILE]                  validate the config, load every certificate, print a table
  mtls-proxy match  HOST[:PORT] [-c FILE]      which rule and which certificate this host gets
  mtls-proxy ca     [-c FILE] [--der] [--out FILE]   create the CA if missing, print it and how to trust it
  mtls-proxy --help | --version

Options:
  -c, --config FILE   config file (default: $MTLS_PROXY_CONFIG, else ./config.yaml if it exists, else built-in defaults)
  --debug             print stack traces with errors

Exit codes: 0 success, 1 unexpected failure, 2 configuration or usage error.
`;
