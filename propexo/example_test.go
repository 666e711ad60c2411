package propexo_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

// Demo mode: the client talks to the simulator in process.
func Example() {
	sim := propexotest.New(propexotest.Options{Tokens: []string{"demo-token"}})
	defer sim.Close()
	client, err := propexo.New(propexo.Config{
		Token:      "demo-token",
		HTTPClient: &http.Client{Transport: sim.Transport()},
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	wr, err := client.CreateProspect(ctx, &propexo.CreateProspectRequest{
		IntegrationID: "int_1", FirstName: "Ada", Subscribe: propexo.Bool(false),
	})
	if err != nil {
		panic(err)
	}
	_ = sim.CompleteJob(wr.JobID, propexotest.Success) // the partner finishes the job
	st, err := client.WriteStatus(ctx, wr.JobID)
	if err != nil {
		panic(err)
	}
	fmt.Println(wr.JobID, st.Status, st.CreatedRecordID)

	_, err = client.CreateProspect(ctx, &propexo.CreateProspectRequest{IntegrationID: "int_1", State: "Nevada"})
	fmt.Println(err)
	// Output:
	// job_1 SUCCESS prospect_1
	// propexo: invalid request: state: must be at most 4 characters, got 6
}
