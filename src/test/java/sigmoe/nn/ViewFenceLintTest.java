package sigmoe.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The convention behind the fences, checked over src/main: a method that takes a view of an array's memory
 * ({@code Mem.of}, {@code asNio*}, or a same-file helper that returns one from an INDArray) must call
 * {@code Reference.reachabilityFence}, unless it returns the view itself. A view that does not need a fence (one only
 * checked for layout, one kept beside its array) says why in a comment with "view-safe:" on the same line.
 * GcReachabilityTest shows what a missing fence does; this test finds the method that lacks one.
 */
class ViewFenceLintTest {
    private static final Pattern HELPER = Pattern.compile(
            "(?:ByteBuffer|FloatBuffer|DoubleBuffer|Mem)\\s+(\\w+)\\s*\\([^)]*INDArray[^)]*\\)\\s*\\{");
    private static final Pattern CONTROL = Pattern.compile("^(if|for|while|switch|catch|synchronized|try|else|do|finally)\\b");
    private static final Pattern RETURNS_VIEW = Pattern.compile("\\b(ByteBuffer|FloatBuffer|DoubleBuffer|Mem)\\s+\\w+\\s*\\(");

    @Test
    void everyMethodThatTakesAViewFencesItsArray() throws IOException {
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator)
                missing.addAll(unfenced(f.toString(), Files.readString(f)));
        }
        assertTrue(missing.isEmpty(), "methods that use an NIO/Mem view of an array without Reference.reachabilityFence "
                + "(the array can be freed mid-loop by a GC; fence it after the last access, or mark a safe site "
                + "with a \"view-safe:\" comment):\n  " + String.join("\n  ", missing));
    }

    @Test
    void theLintFindsAnUnfencedView() {
        String src = "class A {\n static ByteBuffer buf(INDArray a) { return a.data().asNio(); }\n"
                + " static void ok(INDArray a) { Mem m = Mem.of(a); m.set(0, 1); Reference.reachabilityFence(a); }\n"
                + " static void bad(INDArray a) { if (a != null) { buf(a).putFloat(0, 1f); } }\n"
                + " static void check(INDArray a) { Mem.of(a); // view-safe: layout check only\n }\n"
                + " void lambda(INDArray a) { run(() -> { Mem.of(a).set(0, 2); }); }\n}\n";
        assertTrue(unfenced("A.java", src).equals(List.of("A.java:4 bad", "A.java:7 lambda")), unfenced("A.java", src).toString());
    }

    /** "file:line method" of each method that takes a view and has no fence. */
    static List<String> unfenced(String file, String original) {
        String code = blankCommentsAndStrings(original);
        List<String> helpers = new ArrayList<>();
        Matcher h = HELPER.matcher(code);
        while (h.find()) helpers.add(h.group(1));
        StringBuilder alt = new StringBuilder("Mem\\.of\\(|\\.asNio\\w*\\(");
        for (String n : helpers) alt.append("|(?<![\\w.])").append(n).append("\\(");
        Pattern view = Pattern.compile(alt.toString());
        String[] lines = original.split("\n", -1);
        List<String> out = new ArrayList<>();
        Matcher m = view.matcher(code);
        while (m.find()) {
            int line = lineOf(code, m.start());
            if (lines[line - 1].contains("view-safe:")) continue;
            int[] method = enclosingMethod(code, m.start());
            if (method == null) continue; // a field initialiser or similar: none in src/main
            String header = code.substring(method[2], method[0]);
            if (RETURNS_VIEW.matcher(header).find()) continue;
            if (code.substring(method[0], method[1]).contains("reachabilityFence")) continue;
            String name = header.replaceAll("(?s)\\(.*", "").trim().replaceAll(".*\\s", "");
            String entry = file + ":" + lineOf(code, method[0]) + " " + name;
            if (!out.contains(entry)) out.add(entry);
        }
        return out;
    }

    /** [open brace, close brace, header start] of the innermost method or constructor around pos, or null. */
    private static int[] enclosingMethod(String code, int pos) {
        Deque<Integer> open = new ArrayDeque<>();
        List<int[]> around = new ArrayList<>();
        for (int i = 0; i < code.length(); i++) {
            char c = code.charAt(i);
            if (c == '{') open.push(i);
            else if (c == '}' && !open.isEmpty()) {
                int o = open.pop();
                if (o < pos && i > pos) around.add(new int[] {o, i});
            }
        }
        around.sort((a, b) -> b[0] - a[0]); // innermost first
        for (int[] b : around) {
            int start = b[0] - 1;
            while (start >= 0 && ";{}".indexOf(code.charAt(start)) < 0) start--;
            String header = code.substring(start + 1, b[0]).strip();
            if (header.endsWith("->") || !header.endsWith(")") && !header.matches("(?s).*\\)\\s*throws[\\w\\s.,]+")) continue;
            if (CONTROL.matcher(header.replaceAll("^@\\w+(\\([^)]*\\))?\\s*", "")).find()) continue;
            if (header.contains("new ")) continue; // an anonymous class body
            return new int[] {b[0], b[1], start + 1};
        }
        return null;
    }

    private static int lineOf(String s, int pos) {
        int n = 1;
        for (int i = 0; i < pos; i++) if (s.charAt(i) == '\n') n++;
        return n;
    }

    /** Comments, string and char literals replaced by spaces (newlines kept), so braces and names in them do not count. */
    static String blankCommentsAndStrings(String s) {
        StringBuilder b = new StringBuilder(s);
        for (int i = 0; i < b.length(); i++) {
            char c = b.charAt(i);
            if (c == '/' && i + 1 < b.length() && b.charAt(i + 1) == '/') {
                while (i < b.length() && b.charAt(i) != '\n') b.setCharAt(i++, ' ');
            } else if (c == '/' && i + 1 < b.length() && b.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                end = end < 0 ? b.length() : end + 2;
                for (; i < end; i++) if (b.charAt(i) != '\n') b.setCharAt(i, ' ');
                i--;
            } else if (c == '"' || c == '\'') {
                if (c == '"' && s.startsWith("\"\"\"", i)) {
                    int end = s.indexOf("\"\"\"", i + 3);
                    end = end < 0 ? b.length() : end + 3;
                    for (; i < end; i++) if (b.charAt(i) != '\n') b.setCharAt(i, ' ');
                    i--;
                    continue;
                }
                b.setCharAt(i++, ' ');
                while (i < b.length() && s.charAt(i) != c) {
                    if (s.charAt(i) == '\\') b.setCharAt(i++, ' ');
                    if (i < b.length()) b.setCharAt(i++, ' ');
                }
                if (i < b.length()) b.setCharAt(i, ' ');
            }
        }
        return b.toString();
    }
}
