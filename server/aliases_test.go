package main

import "github.com/leasegraph/leasegraph/internal/database"

// Names that moved out of package main, kept for the suites that other
// changes are editing at the same time (screening_test.go); fold them into
// their callers once those land.
var openDriver = database.Driver
