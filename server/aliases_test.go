package main

import (
	"github.com/leasegraph/leasegraph/demo"
	"github.com/leasegraph/leasegraph/graph/handler"
	"github.com/leasegraph/leasegraph/internal/database"
	"github.com/leasegraph/leasegraph/screening/notify"
)

// Names that moved out of package main, kept for the suites that other
// changes are editing at the same time (leases_test.go, screening_test.go,
// bench_test.go);
// fold them into their callers once those land.
var (
	openDriver      = database.Driver
	startPGNotifier = notify.Start
	seedDemo        = demo.Seed
)

const (
	defaultPageSize = handler.DefaultPageSize
	maxPageSize     = handler.MaxPageSize
)
