// Command declared is a contract whose manifest lists a method, an event
// and a state record, with an init in a file named to sort last.
package main

import "github.com/meshledger/meshledger/sdk/contract"

func main() {}

// Note is the stored record and the event payload.
type Note struct {
	ID   string           `json:"id"`
	By   contract.Address `json:"by"`
	Text string           `json:"text,omitempty"`
}

func init() {
	contract.Method("put", func(ctx *contract.Context, n Note) (Note, error) { return n, nil })
	contract.Event[Note]("NotePut")
	contract.State[Note]("note/")
}
