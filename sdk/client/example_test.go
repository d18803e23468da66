package client_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/meshledger/meshledger/node"
	"github.com/meshledger/meshledger/sdk/client"
	"github.com/meshledger/meshledger/sdk/manifest"
)

// startNode starts a single node with a fresh chain in a temporary
// directory, serving its API on 127.0.0.1. Examples run outside a test, so
// they start the node themselves; tests use node/nodetest instead.
func startNode(ctx context.Context) (n *node.Node, stop func(), err error) {
	dir, err := os.MkdirTemp("", "meshledger-example-*")
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	n, err = node.New(ctx, node.Config{
		DataDir: dir, Listener: ln, BlockInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err == nil {
		if err = n.Start(); err != nil {
			_ = n.Close(ctx)
		}
	}
	if err != nil {
		ln.Close()
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return n, func() { _ = n.Close(ctx); os.RemoveAll(dir) }, nil
}

// answerManifest describes answerModule's method. A node refuses code
// without a manifest where the network policy requires one (as make run's
// development network does); sdk/build writes it for a Go contract.
const answerManifest = `{"version":1,"readPolicy":false,
	"methods":{"answer":{"args":{"type":"object"},"result":{"type":"integer"}}}}`

// answerModule is a contract written by hand in the Wasm binary format
// (see the runtime package's example), with answerManifest embedded: every
// method returns the two bytes "42" with status ok. Real contracts are Go
// packages built with sdk/build.
func answerModule() []byte {
	code, err := manifest.Embed(answerWasm(), []byte(answerManifest))
	if err != nil {
		panic(err)
	}
	return code
}

func answerWasm() []byte {
	return []byte{
		0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 10, 2, 0x60, 0, 1, 0x7f, 0x60, 2, 0x7f, 0x7f, 0, // types
		2, 25, 1, 10, 'm', 'e', 's', 'h', 'l', 'e', 'd', 'g', 'e', 'r',
		10, 's', 'e', 't', '_', 'r', 'e', 't', 'u', 'r', 'n', 0, 1, // import set_return
		3, 2, 1, 0, // mesh_call's type
		5, 3, 1, 0, 1, // one page of memory
		7, 22, 2, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0,
		9, 'm', 'e', 's', 'h', '_', 'c', 'a', 'l', 'l', 0, 1, // exports
		10, 12, 1, 10, 0, 0x41, 0, 0x41, 2, 0x10, 0, 0x41, 0, 0x0b, // set_return(0, 2); return 0
		11, 8, 1, 0, 0x41, 0, 0x0b, 2, '4', '2', // "42" at address 0
	}
}

// Submit a deploy and a call, each waiting for its committed record, and
// check the call's record against the node's signed header.
func ExampleClient_Submit() {
	ctx := context.Background()
	n, stop, err := startNode(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	c, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())), client.WithTrustedNodes(n.Address()))
	if err != nil {
		log.Fatal(err)
	}
	dep, err := c.Submit(ctx, client.DeployOp(answerModule(), "answer", nil), client.Wait())
	if err != nil {
		log.Fatal(err) // the node refused it, or the wait ended
	}
	fmt.Println("deploy:", dep.Receipt.Status)

	rec, err := c.Submit(ctx, client.CallOp(*dep.Receipt.ContractAddress, "answer", nil), client.Wait())
	if err != nil {
		log.Fatal(err)
	}
	// A failed call is a committed record too: ReceiptError makes it an error.
	if err := client.ReceiptError(rec); err != nil {
		log.Fatal(err)
	}
	fmt.Println("call:", rec.Receipt.Status, string(rec.Receipt.Return))

	if err := c.Verifier().VerifyTx(rec); err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified")
	// Output:
	// deploy: ok
	// call: ok 42
	// verified
}

// Read a paged list with a range loop: the iterator fetches the next page
// only when the loop reaches it, and a failed request is the error of the
// last item.
func ExampleClient_Contracts() {
	ctx := context.Background()
	n, stop, err := startNode(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	c, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())))
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"first", "second", "third"} {
		if _, err := c.Submit(ctx, client.DeployOp(answerModule(), name, nil)); err != nil {
			log.Fatal(err)
		}
	}
	// Wait for the last deploy: the node commits a key's transactions in
	// nonce order.
	if _, err := c.Submit(ctx, client.DeployOp(answerModule(), "fourth", nil), client.Wait()); err != nil {
		log.Fatal(err)
	}
	count := 0
	for _, err := range c.Contracts(ctx, client.PageSize(2)) {
		if err != nil {
			log.Fatal(err)
		}
		count++
	}
	fmt.Println(count, "contracts")
	// Output:
	// 4 contracts
}

// Follow committed blocks and events with a range loop; break ends the
// stream. Reconnects resume where the stream left off, so the loop sees
// each item once.
func ExampleClient_Events() {
	ctx := context.Background()
	n, stop, err := startNode(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer stop()

	c, err := client.New(n.URL(), client.WithKey(client.NewKey(n.Key())))
	if err != nil {
		log.Fatal(err)
	}
	dep, err := c.Submit(ctx, client.DeployOp(answerModule(), "answer", nil), client.Wait())
	if err != nil {
		log.Fatal(err)
	}
	for ev, err := range c.Events(ctx, client.EventFilter{FromHeight: dep.Receipt.Height}) {
		if err != nil {
			log.Fatal(err)
		}
		if ev.Block != nil {
			fmt.Printf("block %d holds %d transaction(s); the deploy is first: %v\n",
				ev.Block.Height, len(ev.Block.TxHashes), ev.Block.TxHashes[0] == dep.Hash)
			break
		}
	}
	// Output:
	// block 1 holds 1 transaction(s); the deploy is first: true
}
