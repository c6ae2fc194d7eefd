package sigmoe.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Reading a written report back: the img tags of report.html and the PNGs beside it. */
final class ReportFiles {
    private static final Pattern IMG = Pattern.compile("<img ([^>]*)>");
    private static final Pattern ATTR = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private ReportFiles() {}

    record Img(String src, String alt, int width, int height) {}

    static List<Img> images(String html) {
        List<Img> out = new ArrayList<>();
        Matcher m = IMG.matcher(html);
        while (m.find()) {
            String src = null, alt = null;
            int w = -1, h = -1;
            Matcher a = ATTR.matcher(m.group(1));
            while (a.find()) {
                switch (a.group(1)) {
                    case "src" -> src = a.group(2);
                    case "alt" -> alt = a.group(2);
                    case "width" -> w = Integer.parseInt(a.group(2));
                    case "height" -> h = Integer.parseInt(a.group(2));
                    default -> { }
                }
            }
            out.add(new Img(src, alt, w, h));
        }
        return out;
    }

    static TreeSet<String> pngs(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png"))
                    .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
        }
    }
}
