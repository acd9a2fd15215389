package demo

import _ "embed"

// Workload is the demo's loadgate.yml: the guide's WebsiteUser (weights
// 3/2/1) with thresholds a healthy demo app passes. Its target URL comes
// from ${LOADGATE_DEMO_URL}.
//
//go:embed loadgate.yml
var Workload []byte
