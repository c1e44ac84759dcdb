package collector

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/backup-exporter/backup_exporter/collector/toolkit"
)

// The exposition is rendered as kube-state-metrics' metrics store does:
// a poll's series are turned into text once, per family, when the poll
// completes, and a scrape only concatenates those bytes (the families'
// HELP and TYPE once, then every target's lines), adding the per-scrape
// self-metrics. For gzip, each block is compressed once too, into a gzip
// member of its own: concatenated members are one valid gzip stream.

// ContentType is the exposition format served: the text format 0.0.4,
// which every Prometheus accepts (as promhttp serves without OpenMetrics).
var ContentType = string(expfmt.NewFormat(expfmt.TypeTextPlain))

// block is the exposition of some series. It is kept as text, in chunks
// (a large family is not one large buffer grown by doubling and copied),
// with its gzip member made on first use; or, when compressed, only as
// its gzip member, inflated on the fly for a plain scrape: the text of a
// large estate is ten times its gzip, and Prometheus asks for gzip.
type block struct {
	text   [][]byte
	gzOnce sync.Once
	gz     []byte
}

func newBlock(text []byte) *block { return &block{text: [][]byte{text}} }

// writeTo writes the block's text to w.
func (b *block) writeTo(w io.Writer) error {
	if b.text == nil && b.gz != nil {
		zr := gzipReaders.Get().(*gzip.Reader)
		defer gzipReaders.Put(zr)
		if err := zr.Reset(bytes.NewReader(b.gz)); err != nil {
			return err
		}
		buf := copyBuffers.Get().(*[]byte)
		defer copyBuffers.Put(buf)
		_, err := io.CopyBuffer(w, zr, *buf)
		return err
	}
	for _, c := range b.text {
		if _, err := w.Write(c); err != nil {
			return err
		}
	}
	return nil
}

func (b *block) gzipped() []byte {
	b.gzOnce.Do(func() {
		if b.gz != nil {
			return
		}
		var buf bytes.Buffer
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		_ = b.writeTo(zw)
		_ = zw.Close()
		gzipWriters.Put(zw)
		b.gz = bytes.Clone(buf.Bytes())
	})
	return b.gz
}

// chunkSize is the size of a block's chunks.
const chunkSize = 64 << 10

// chunks collects text in chunks of about chunkSize, each filled exactly;
// compressed, the chunks go through one gzip stream instead of being
// kept.
type chunks struct {
	done [][]byte
	cur  *bytes.Buffer

	compress bool
	zw       *gzip.Writer
	zbuf     bytes.Buffer
}

// flush ends the current chunk once it is full.
func (c *chunks) flush(force bool) {
	if c.cur.Len() == 0 || (!force && c.cur.Len() < chunkSize) {
		return
	}
	if c.compress {
		if c.zw == nil {
			c.zw = gzipWriters.Get().(*gzip.Writer)
			c.zw.Reset(&c.zbuf)
		}
		_, _ = c.zw.Write(c.cur.Bytes())
	} else {
		c.done = append(c.done, bytes.Clone(c.cur.Bytes()))
	}
	c.cur.Reset()
}

// block ends the chunks: the block of their text, or of its gzip; nil
// when there was none.
func (c *chunks) block() *block {
	c.flush(true)
	if !c.compress {
		if len(c.done) == 0 {
			return nil
		}
		return &block{text: c.done}
	}
	if c.zw == nil {
		return nil
	}
	_ = c.zw.Close()
	gzipWriters.Put(c.zw)
	c.zw = nil
	return &block{gz: bytes.Clone(c.zbuf.Bytes())}
}

var (
	gzipReaders = sync.Pool{New: func() any { return new(gzip.Reader) }}
	copyBuffers = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}
)

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return zw
}}

// familyHeader is "# HELP ...\n# TYPE ...\n" of a family.
func familyHeader(name, help string, typ prometheus.ValueType) []byte {
	t := "gauge"
	if typ == prometheus.CounterValue {
		t = "counter"
	}
	help = strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help)
	return []byte("# HELP " + name + " " + help + "\n# TYPE " + name + " " + t + "\n")
}

// layout is how a family's series are written: its HELP and TYPE lines,
// every label name, and their indices in name order. Built once per
// family for the exporter's life.
type layout struct {
	header *block
	names  []string
	order  []int
}

func newLayout(f *toolkit.Family) *layout {
	names := f.LabelNames()
	return &layout{header: newBlock(familyHeader(f.Name, f.Help, f.Type)), names: names, order: sortedOrder(names)}
}

// renderer is what rendering needs of an exporter: its families in
// exposition order (the shared ones, then the providers' own) and their
// layouts.
type renderer struct {
	families []*toolkit.Family
	layouts  map[*toolkit.Family]*layout
	// compress keeps a poll's exposition as gzip only (polls in the
	// background, each served to many scrapes); without it the text is
	// kept and compressed on the first gzip scrape (a poll per scrape).
	compress bool
}

// families are the per-resource families of the providers of reg, in
// exposition order: the shared ones, then the providers' own.
func families(reg toolkit.Registry) []*toolkit.Family {
	out := toolkit.Families()
	for _, t := range reg {
		for _, f := range t.Families {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func newRenderer(reg toolkit.Registry, compress bool) *renderer {
	r := &renderer{families: families(reg), layouts: map[*toolkit.Family]*layout{}, compress: compress}
	for _, f := range r.families {
		r.layouts[f] = newLayout(f)
	}
	return r
}

// writeSample writes one sample line, its labels sorted by name (order
// lists the indices of names in that order), as the text format does.
func writeSample(buf *bytes.Buffer, name string, names []string, order []int, values []string, v float64) {
	buf.WriteString(name)
	if len(order) > 0 {
		buf.WriteByte('{')
		for i, j := range order {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(names[j])
			buf.WriteString(`="`)
			writeEscaped(buf, values[j])
			buf.WriteByte('"')
		}
		buf.WriteByte('}')
	}
	buf.WriteByte(' ')
	writeFloat(buf, v)
	buf.WriteByte('\n')
}

// writeEscaped escapes a label value: backslash, double quote, newline.
func writeEscaped(buf *bytes.Buffer, s string) {
	if !strings.ContainsAny(s, "\\\"\n") {
		buf.WriteString(s)
		return
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			buf.WriteString(`\\`)
		case '"':
			buf.WriteString(`\"`)
		case '\n':
			buf.WriteString(`\n`)
		default:
			buf.WriteByte(c)
		}
	}
}

// writeFloat formats v as expfmt does.
func writeFloat(buf *bytes.Buffer, v float64) {
	switch {
	case v == 1:
		buf.WriteByte('1')
	case v == 0:
		buf.WriteByte('0')
	case v == -1:
		buf.WriteString("-1")
	case math.IsNaN(v):
		buf.WriteString("NaN")
	case math.IsInf(v, +1):
		buf.WriteString("+Inf")
	case math.IsInf(v, -1):
		buf.WriteString("-Inf")
	default:
		buf.Write(strconv.AppendFloat(buf.AvailableBuffer(), v, 'g', -1, 64))
	}
}

// sortedOrder returns the indices of names in name order.
func sortedOrder(names []string) []int {
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	return order
}

// renderResources renders the series of a target's resources, per
// family: the one exposition path. ids are the resources' resource_id
// label values. Label values from upstream are made valid and bounded
// here (labelValue). skipped counts the tag keys left out of
// backup_resource_info for their length or number (toolkit.Owners).
func (rd *renderer) resources(t *Target, rs []toolkit.Resource, ids []string) (out map[*toolkit.Family]*block, skipped int) {
	// One buffer of chunkSize for every family, in turn.
	var cur bytes.Buffer
	cur.Grow(chunkSize + 4<<10)
	out = make(map[*toolkit.Family]*block, len(rd.families))
	identity := len(toolkit.Identity)
	values := make([]string, identity, identity+4)
	values[0], values[1] = t.Type, t.Name
	names := make([]string, len(rs))
	for i := range rs {
		names[i] = labelValue(rs[i].Name, labelLimit)
	}
	for _, f := range rd.families {
		l := rd.layouts[f]
		cur.Reset()
		c := chunks{cur: &cur, compress: rd.compress}
		emit := func(v float64, own ...string) {
			vals := values[:identity]
			for _, o := range own {
				vals = append(vals, labelValue(o, labelLimit))
			}
			writeSample(c.cur, f.Name, l.names, l.order, vals, v)
			c.flush(false)
		}
		switch {
		case f.OwnerLabels():
			if t.Owners == nil {
				continue
			}
			for i := range rs {
				labels, n := t.Owners.Labels(rs[i].Tags)
				skipped += n
				writeOwnerSample(c.cur, f.Name, t, ids[i], names[i], labels)
				c.flush(false)
			}
		default:
			for i := range rs {
				r := &rs[i]
				if !r.Protected && !f.Unprotected {
					continue
				}
				values[2], values[3] = ids[i], names[i]
				f.Emit(r, emit)
			}
		}
		if b := c.block(); b != nil {
			out[f] = b
		}
	}
	return out, skipped
}

// writeOwnerSample writes the backup_resource_info sample of a resource:
// its identity labels and owner labels (sorted by name, values bounded),
// value 1. The owner labels never take an identity label's name (the
// configuration refuses such static labels; tag labels have a prefix).
func writeOwnerSample(buf *bytes.Buffer, name string, t *Target, id, resourceName string, owners []toolkit.Label) {
	// The identity labels in name order.
	identity := [4]toolkit.Label{{Name: "provider", Value: t.Type}, {Name: "resource_id", Value: id},
		{Name: "resource_name", Value: resourceName}, {Name: "target", Value: t.Name}}
	buf.WriteString(name)
	buf.WriteByte('{')
	i, j := 0, 0
	for i < len(identity) || j < len(owners) {
		var l toolkit.Label
		own := i == len(identity) || (j < len(owners) && owners[j].Name < identity[i].Name)
		if own {
			l = toolkit.Label{Name: owners[j].Name, Value: labelValue(owners[j].Value, labelLimit)}
			j++
		} else {
			l = identity[i]
			i++
		}
		if i+j > 1 {
			buf.WriteByte(',')
		}
		buf.WriteString(l.Name)
		buf.WriteString(`="`)
		writeEscaped(buf, l.Value)
		buf.WriteByte('"')
	}
	buf.WriteString("} 1\n")
}

// targetFamily is one of the per-target self-metrics, rendered per scrape:
// its name, help, own labels (after provider and target) and the function
// that fills it from a target's result, together.
type targetFamily struct {
	name   string
	help   string
	labels []string
	value  func(r *Result, emit func(v float64, labels ...string))

	// names and order lay its lines out; header is its HELP and TYPE.
	names  []string
	order  []int
	header []byte
}

func newTargetFamily(name, help string, labels []string, value func(r *Result, emit func(v float64, labels ...string))) *targetFamily {
	names := append([]string{"provider", "target"}, labels...)
	return &targetFamily{name: name, help: help, labels: labels, value: value,
		names: names, order: sortedOrder(names), header: familyHeader(name, help, prometheus.GaugeValue)}
}

// WriteExposition collects targets under ctx and writes the exposition to
// w: their series, their self-metrics, then what static gathers (gathered
// after the collection, so that its counters include this scrape). With
// gz the output is gzip. It returns the error of writing to w; a failing
// static gatherer is reported through onError and the rest is served.
func (e *Exporter) WriteExposition(ctx context.Context, targets []*Target, static prometheus.Gatherer, w io.Writer, gz bool, onError func(error)) error {
	results := e.Collect(ctx, targets)
	out := &expositionWriter{w: w, gz: gz}
	for _, f := range e.render.families {
		first := true
		for i := range results {
			b := results[i].rendered[f]
			if b == nil {
				continue
			}
			if first {
				out.block(e.render.layouts[f].header)
				first = false
			}
			out.block(b)
		}
	}

	var fresh bytes.Buffer
	for _, tf := range targetFamilies {
		start := fresh.Len()
		for i := range results {
			r := &results[i]
			tf.value(r, func(v float64, labels ...string) {
				if fresh.Len() == start {
					fresh.Write(tf.header)
				}
				writeSample(&fresh, tf.name, tf.names, tf.order, append([]string{r.Target.Type, r.Target.Name}, labels...), v)
			})
		}
	}
	if static != nil {
		mfs, err := static.Gather()
		if err != nil && onError != nil {
			onError(err)
		}
		enc := expfmt.NewEncoder(&fresh, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil && onError != nil {
				onError(err)
			}
		}
	}
	out.fresh(fresh.Bytes())
	return out.err
}

// expositionWriter writes blocks as text, or as their gzip members.
type expositionWriter struct {
	w   io.Writer
	gz  bool
	err error
}

func (o *expositionWriter) block(b *block) {
	if o.err != nil {
		return
	}
	if o.gz {
		_, o.err = o.w.Write(b.gzipped())
	} else {
		o.err = b.writeTo(o.w)
	}
}

// fresh writes text rendered for this scrape (compressed now with gz).
func (o *expositionWriter) fresh(text []byte) {
	if o.err != nil || len(text) == 0 {
		return
	}
	if !o.gz {
		_, o.err = o.w.Write(text)
		return
	}
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(o.w)
	if _, o.err = zw.Write(text); o.err == nil {
		o.err = zw.Close()
	}
	gzipWriters.Put(zw)
}
