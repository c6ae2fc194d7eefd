package sigmoe.data;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

import org.apache.hadoop.fs.FSDataInputStream;

/**
 * Reads the lines a text chunk owns: those whose first byte lies in [start, end). Lines end at '\n' (which is
 * not part of the line); a last line without '\n' still counts, an empty tail after a final '\n' does not.
 * The same rule for every chunk makes each line of a file read exactly once, whatever the chunking.
 */
final class LineReader implements Closeable {
    /** Longer "lines" are binary data or a missing line structure: refuse them rather than run out of memory. */
    static final int MAX_LINE_BYTES = 1 << 28;

    private final InputStream in;
    private final String file;
    private final long end;
    private final byte[] buf = new byte[1 << 16];
    private int bufPos, bufLen;
    private byte[] line = new byte[1 << 12];
    private int lineLen;
    private long pos;       // file offset of the next unread byte
    private long lineStart; // file offset of the current line
    private boolean eof;

    LineReader(FSDataInputStream in, String file, long start, long end) throws IOException {
        this.in = in;
        this.file = file;
        this.end = end;
        if (start > 0) {
            // the line running through start-1 belongs to the previous chunk: skip past its '\n'
            in.seek(start - 1);
            pos = start - 1;
            int c;
            while ((c = readByte()) >= 0 && c != '\n') { /* skip */ }
        } else {
            in.seek(0);
        }
    }

    /** Advances to the next owned line; false when there is none. */
    boolean next() throws IOException {
        if (pos >= end || eof) return false;
        lineStart = pos;
        lineLen = 0;
        while (true) {
            if (bufPos == bufLen && !refill()) return lineLen > 0;
            int i = bufPos;
            while (i < bufLen && buf[i] != '\n') i++;
            int n = i - bufPos;
            if (lineLen + n > line.length) {
                if ((long) lineLen + n > MAX_LINE_BYTES) {
                    throw new IOException(file + ": line at byte offset " + lineStart + " is longer than " + MAX_LINE_BYTES
                            + " bytes; text tokenizers need line breaks (use --tokenizer byte for unstructured data)");
                }
                line = Arrays.copyOf(line, (int) Math.min(MAX_LINE_BYTES, Math.max(2L * line.length, lineLen + n)));
            }
            System.arraycopy(buf, bufPos, line, lineLen, n);
            lineLen += n;
            pos += n;
            if (i < bufLen) { // found the '\n'
                bufPos = i + 1;
                pos++;
                return true;
            }
            bufPos = bufLen;
        }
    }

    byte[] bytes() {
        return line;
    }

    int length() {
        return lineLen;
    }

    long lineStart() {
        return lineStart;
    }

    private int readByte() throws IOException {
        if (bufPos == bufLen && !refill()) return -1;
        pos++;
        return buf[bufPos++] & 0xff;
    }

    private boolean refill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        bufPos = 0;
        bufLen = Math.max(n, 0);
        if (n <= 0) eof = true;
        return n > 0;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
