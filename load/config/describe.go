package config

// descriptions are the JSON Schema's text for every key of loadgate.yml,
// which editors show on hover and completion: what docs/config.md says of
// the key, short. They are keyed by the raw type that holds the key and the
// key, so a request's keys are described once for on_start, tasks and
// steps alike. TestEveryKeyIsDescribed fails for a key without one, and
// for an entry no key has.
var descriptions = map[string]string{
	"RawConfig.version":    "The config format's version: 1.",
	"RawConfig.target":     "The app under test: its base URL, the request timeout, headers for every request, and optionally how loadgate starts it.",
	"RawConfig.load":       "How much load and for how long: duration and warmup, users (closed model) or arrival_rate (open model), or stages.",
	"RawConfig.data":       "CSV data feeds by name; a row's columns are {{ .NAME.column }} in templates.",
	"RawConfig.users":      "User classes, each with a weight, a wait_time, on_start and on_stop steps, and weighted tasks.",
	"RawConfig.tasks":      "The tasks of a single user class (instead of users:); each is one request or a journey of steps.",
	"RawConfig.wait_time":  "The single user class's pause between tasks: between A B, constant D, pacing D, throughput N, or none.",
	"RawConfig.on_start":   "Steps each user of the single user class runs once, before its tasks (a login).",
	"RawConfig.on_stop":    "Steps each user of the single user class runs once, when it stops.",
	"RawConfig.thresholds": "Checks by endpoint name or total, each a list such as [p95 < 500ms, failure_rate < 1%, rps >= 30]; one ending in abort stops the run early. Without a failure check under total, failure_rate < 1% applies.",
	"RawConfig.baseline":   "The comparison with a stored result: its file, what a missing file means, tolerances, how many runs to keep (docs/gate.md).",
	"RawConfig.secrets":    "Environment variables whose values are masked in every output, used by the config or not.",
	"RawConfig.public":     "Environment variables the config uses whose values are not secrets (a port, a version).",

	"rawTarget.url":       "Base URL; request paths are relative to it. Required, unless --host gives it.",
	"rawTarget.timeout":   "Per request (default 10s); a timeout is a failure with reason timeout.",
	"rawTarget.max_body":  "How much of a response body is kept for expect and extract (default 1MiB, at most 256 MiB); a larger body fails the request.",
	"rawTarget.cookies":   "Each virtual user keeps a cookie jar, as a Locust HttpUser does (default true).",
	"rawTarget.redirects": "How many redirects a request follows (default 10); 0 measures each 3xx as sent.",
	"rawTarget.headers":   "Headers sent with every request (templates allowed).",
	"rawTarget.start":     "The app loadgate starts before the load and stops after it.",
	"rawTarget.metrics":   "The URL of the app's Prometheus metrics: loadgate reads the app's CPU and memory there once a second, instead of from the processes it started.",

	"rawStart.command":      "The app's command line (required), split like a shell and run without one; ./run.sh is resolved against dir.",
	"rawStart.dir":          "Working directory, relative to the config file (default: the config's folder).",
	"rawStart.env":          "Extra environment for the app; its values are secrets.",
	"rawStart.ready":        "When the app is ready: {url: URL} (waits for a 2xx) or {tcp: HOST:PORT}, with a timeout (default 30s).",
	"rawStart.stop_timeout": "SIGTERM to the process group, then SIGKILL after this (default 10s).",

	"rawReady.url":     "Ready when this URL answers a 2xx.",
	"rawReady.tcp":     "Ready when HOST:PORT accepts a connection.",
	"rawReady.timeout": "How long to wait for the app to be ready (default 30s).",

	"rawLoad.duration":     "Measured time (default 30s).",
	"rawLoad.warmup":       "Run before the measured time and excluded from every statistic (default 0s).",
	"rawLoad.users":        "Closed model: concurrent virtual users (default 1). Open model: the most users the pool may grow to (default: rate × target.timeout).",
	"rawLoad.spawn_rate":   "Users started per second (default: all at once).",
	"rawLoad.arrival_rate": "Open model: task starts per second, such as 200/s or 600/m; leave it out for the closed model.",
	"rawLoad.stages":       "A ramp that replaces duration: {duration, users} or {duration, arrival_rate} steps, each reached linearly from the one before.",
	"rawLoad.connections":  "per_user (default): each virtual user keeps its own keep-alive connection; shared: one pool for all users.",

	"rawStage.duration":     "How long this stage ramps.",
	"rawStage.users":        "The users this stage reaches (closed model).",
	"rawStage.arrival_rate": "The rate this stage reaches (open model), such as 100/s.",

	"rawFeed.csv":   "A CSV file with a header row, relative to the config file (required).",
	"rawFeed.order": "sequential (default; wraps around), random, or unique (each row at most once).",
	"rawFeed.per":   "user (default): a user takes a row when it starts and keeps it; iteration: a new row for every task.",

	"rawUser.name":      "The class's name in reports (default User1, User2, ...).",
	"rawUser.weight":    "The class's share of load.users, split by the largest remainder (default 1).",
	"rawUser.wait_time": "Pause between tasks: between A B, constant D, pacing D, throughput N, or none.",
	"rawUser.on_start":  "Steps each user runs once, before its tasks (a login).",
	"rawUser.on_stop":   "Steps each user runs once, when it stops.",
	"rawUser.tasks":     "Weighted tasks, each one request or a journey of steps.",
	"rawUser.cookies":   "This class's users keep cookie jars (default: target.cookies).",

	"rawStep.name":        "The statistics row (default: the method and the path as written).",
	"rawStep.get":         "Send a GET to this path (/x) or absolute URL. A request has exactly one method.",
	"rawStep.post":        "Send a POST to this path (/x) or absolute URL. A request has exactly one method.",
	"rawStep.put":         "Send a PUT to this path (/x) or absolute URL. A request has exactly one method.",
	"rawStep.patch":       "Send a PATCH to this path (/x) or absolute URL. A request has exactly one method.",
	"rawStep.delete":      "Send a DELETE to this path (/x) or absolute URL. A request has exactly one method.",
	"rawStep.head":        "Send a HEAD to this path (/x) or absolute URL. A request has exactly one method.",
	"rawStep.headers":     "Request headers (templates allowed).",
	"rawStep.query":       "Query parameters (templates allowed).",
	"rawStep.json":        "A JSON body; a string that is exactly one template action keeps the value's JSON type. At most one of json, form, body.",
	"rawStep.form":        "A form body (application/x-www-form-urlencoded). At most one of json, form, body.",
	"rawStep.body":        "A raw body (a template). At most one of json, form, body.",
	"rawStep.extract":     "Variables from the response, used later as {{ .var }}: json PATH, header NAME, header NAME regex PATTERN, regex PATTERN, or cookie NAME.",
	"rawStep.expect":      "What makes the response a success; without it any 2xx or 3xx does.",
	"rawStep.set_headers": "Headers this user sends with every later request (a token after a login).",
	"rawStep.on_failure":  "What a failure of this step does: continue (default), stop_user or stop_test.",
	"rawStep.redirects":   "How many redirects this request follows (default: target.redirects); 0 measures a 3xx as sent.",
	"rawStep.think":       "A pause after the step: a duration or any wait_time form.",

	"rawTask.weight": "How often the task is picked beside the class's others (default 1).",
	"rawTask.steps":  "A chained journey, run in order; it stops at the first failed step.",

	"rawExpect.status":       "A code, a list of codes, or a class such as 2xx.",
	"rawExpect.json":         "JSON paths (gjson syntax) and the values they must hold.",
	"rawExpect.contains":     "Text the body must contain.",
	"rawExpect.not_contains": "Text the body must not contain, such as Traceback.",
	"rawExpect.within":       "A slower response is a failure, with reason slower than the bound.",
	"rawExpect.message":      "The failure reason to report instead of the detail, as Locust's response.failure(...).",

	"rawBaseline.file":         "The baseline artifact (--baseline overrides it).",
	"rawBaseline.missing":      "pass (default) or fail when the file does not exist.",
	"rawBaseline.tolerance":    "Per metric, how much worse is still a pass, such as p95: 10% (failure_rate in points).",
	"rawBaseline.keep":         "How many results --save-baseline keeps (default 5).",
	"rawBaseline.inconclusive": "pass (default), or fail: a change that cannot be told from noise exits 4.",
}

// describe is a key's schema description: its text, and the kind of
// value it takes where the key's want tag names one.
func describe(owner, key, want string) string {
	d := descriptions[owner+"."+key]
	if want != "" {
		d += " Value: " + want + "."
	}
	return d
}
