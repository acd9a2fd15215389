package testenv

// RefusedAddr is a loopback address where nothing listens: port 1, which
// only a privileged process could listen on and which is never handed out
// as an ephemeral port. The port of a closed test server is not safe to
// use for this: with packages tested in parallel, another package's
// server was once given it and answered 12 of TestFailuresAreMeasured's
// 40 requests with a 404.
const RefusedAddr = "127.0.0.1:1"
