package ledger

import "testing"

// BenchmarkCheckTxMember is a node's admission of a member's call
// (CheckTx): signature recovery, limits, the registry lookup of the
// sender, its nonce and the target (the sender recovered once: a copy
// keeps it). BenchmarkCheckSender is the registry lookup alone, what
// access control adds, from the tip's cache.
func BenchmarkCheckTxMember(b *testing.B) {
	e := newEnv(b)
	e.setup()
	t := e.pay(1)
	b.ResetTimer()
	for range b.N {
		// A fresh copy each time: a Tx caches its recovered sender.
		c, err := t.WithCode(nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.l.CheckTx(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckSender(b *testing.B) {
	e := newEnv(b)
	t := e.pay(1)
	sender := t.Message().Sender()
	b.ResetTimer()
	for range b.N {
		if err := e.l.checkSenderLatest(t.Message(), sender); err != nil {
			b.Fatal(err)
		}
	}
}
