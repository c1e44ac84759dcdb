package upstream

import (
	"bytes"
	"io"
	"sync"
)

// A poll reads many large pages and keeps only what it decodes from
// them: their bytes are read into buffers that are reused, rather than
// grown by io.ReadAll (which doubles, leaving half of what it allocates
// behind) and dropped.

var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest buffer put back for reuse; larger ones (a
// rare huge page) are left to the collector.
const maxPooledBody = 8 << 20

// ReadBody reads r (with its Content-Length when known, else -1) into a
// reused buffer. Call release when done with the bytes, and do not keep
// them (or slices of them) after: decode or copy what is needed.
func ReadBody(r io.Reader, contentLength int64) (body []byte, release func(), err error) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	if contentLength > 0 && contentLength <= maxPooledBody {
		buf.Grow(int(contentLength) + bytes.MinRead)
	}
	_, err = buf.ReadFrom(r)
	release = func() {
		if buf.Cap() <= maxPooledBody {
			bodyBuffers.Put(buf)
		}
	}
	return buf.Bytes(), release, err
}
