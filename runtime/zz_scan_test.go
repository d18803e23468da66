//go:build linux

package runtime

import "testing"

func benchRuns(b *testing.B, scan bool) {
	const pages = 1984
	m, err := newCoWMemory(uint64(2 * pages * 4096))
	if err != nil { b.Fatal(err) }
	defer m.Free()
	snap := make([]byte, pages*4096)
	img, _ := newSnapshotImage(snap)
	defer img.close()
	m.mapImage(img)
	for p := 0; p < 283; p++ { _ = m.region[(p*7%pages)*4096] }
	for p := 0; p < 54; p++ { m.region[(p*37%pages)*4096] = 1 }
	m.scan = scan
	for b.Loop() {
		m.privateRuns(len(snap))
	}
	r, _ := m.privateRuns(len(snap))
	b.ReportMetric(float64(len(r)), "runs")
}
func BenchmarkZZScan(b *testing.B) { benchRuns(b, true) }
func BenchmarkZZRead(b *testing.B) { benchRuns(b, false) }
