package jobs

import (
	"context"
	"database/sql"

	"github.com/riverqueue/river"
)

// webhookQueue runs webhook deliveries, apart from the partners' queue so
// that a slow receiver never holds up a Propexo delivery or an SMS.
const webhookQueue = "webhooks"

// DeliverWebhookArgs names one delivery (a WebhookDelivery row): an id,
// never the payload or the endpoint's secret.
type DeliverWebhookArgs struct {
	DeliveryID int `json:"delivery_id"`
}

// Kind names the job in River.
func (DeliverWebhookArgs) Kind() string { return "deliver_webhook" }

// InsertOpts puts deliveries in the webhooks queue.
func (DeliverWebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: webhookQueue}
}

// EnqueueWebhookDeliveries implements events.Enqueuer: the jobs are
// inserted in the transaction that wrote the deliveries (and the event).
func (q *Queue) EnqueueWebhookDeliveries(ctx context.Context, tx *sql.Tx, deliveryIDs []int) error {
	params := make([]river.InsertManyParams, len(deliveryIDs))
	for i, id := range deliveryIDs {
		params[i] = river.InsertManyParams{Args: DeliverWebhookArgs{DeliveryID: id}}
	}
	_, err := q.River.InsertManyTx(ctx, tx, params)
	return err
}
