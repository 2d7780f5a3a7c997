// Package linkio stands in for github.com/ian-kent/linkio, which MailHog v1.0.1 imports but
// which no module registry we can reach serves (see ../README.md). It is our own code, not a
// copy of that package: it provides only the names MailHog uses, for Jim, its chaos monkey
// (off unless MailHog starts with -invite-jim), to slow an SMTP session down to a link speed.
package linkio

import (
	"io"
	"sync"
	"time"
)

// Throughput is a link speed in bits per second.
type Throughput int64

const (
	BitPerSecond  Throughput = 1
	BytePerSecond            = 8 * BitPerSecond
)

// One transfer moves at most a typical Ethernet frame, so that a long read or write
// cannot hold a shared link for long.
const frameBytes = 1500

// A Link is shared by its readers and writers: each transfer waits as long as it would take
// at the link's speed, one transfer at a time.
type Link struct {
	mu         sync.Mutex
	throughput Throughput
}

// NewLink returns a link of the given speed; a speed of zero or less does not slow anything.
func NewLink(throughput Throughput) *Link {
	return &Link{throughput: throughput}
}

// NewLinkReader returns a reader that reads from r at the link's speed.
func (link *Link) NewLinkReader(r io.Reader) io.Reader {
	return transferFunc(func(p []byte) (int, error) {
		n, err := r.Read(p[:min(len(p), frameBytes)])
		link.wait(n)
		return n, err
	})
}

// NewLinkWriter returns a writer that writes to w at the link's speed.
func (link *Link) NewLinkWriter(w io.Writer) io.Writer {
	return transferFunc(func(p []byte) (int, error) {
		written := 0
		for written < len(p) {
			n, err := w.Write(p[written:min(len(p), written+frameBytes)])
			written += n
			link.wait(n)
			if err != nil {
				return written, err
			}
		}
		return written, nil
	})
}

func (link *Link) wait(bytes int) {
	if link.throughput <= 0 || bytes <= 0 {
		return
	}
	link.mu.Lock()
	defer link.mu.Unlock()
	time.Sleep(time.Duration(int64(bytes) * int64(BytePerSecond) * int64(time.Second) / int64(link.throughput)))
}

// transferFunc is both an io.Reader and an io.Writer; each link end uses one of the two.
type transferFunc func(p []byte) (int, error)

func (f transferFunc) Read(p []byte) (int, error)  { return f(p) }
func (f transferFunc) Write(p []byte) (int, error) { return f(p) }
