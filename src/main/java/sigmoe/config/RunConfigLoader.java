package sigmoe.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Builds the merged configuration: the defaults resource, then each file in order (later files win; HOCON
 * {@code include} works relative to the including file), then command-line {@code key=value} overrides, then
 * substitutions are resolved. Files are given as paths, or as bare names looked up in {@code conf/}.
 */
final class RunConfigLoader {
    /** The defaults, on the classpath; not named reference.conf so that other jars' defaults never mix in. */
    static final String DEFAULTS = "sigmoe-defaults.conf";
    /** Where bare configuration names are looked up. */
    static final String CONF_DIR = "conf";

    private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");

    private RunConfigLoader() {}

    static Config defaults() {
        Config d = ConfigFactory.parseResources(RunConfigLoader.class.getClassLoader(), DEFAULTS,
                ConfigParseOptions.defaults().setAllowMissing(false));
        return d;
    }

    /** A file path, or {@code conf/NAME} / {@code conf/NAME.conf} for a bare name. */
    static File locate(String nameOrPath) {
        File f = new File(nameOrPath);
        if (f.isFile()) return f;
        List<File> tried = new ArrayList<>(List.of(f));
        if (!nameOrPath.contains("/") && !nameOrPath.contains(File.separator)) {
            for (String n : new String[] {nameOrPath, nameOrPath + ".conf"}) {
                File c = new File(CONF_DIR, n);
                if (c.isFile()) return c;
                tried.add(c);
            }
        }
        StringBuilder m = new StringBuilder("configuration file '").append(nameOrPath).append("' not found (looked at ");
        for (int i = 0; i < tried.size(); i++) m.append(i == 0 ? "" : ", ").append(tried.get(i).getPath());
        m.append(")");
        String[] available = new File(CONF_DIR).list((dir, name) -> name.endsWith(".conf"));
        if (available != null && available.length > 0) {
            java.util.Arrays.sort(available);
            m.append("; configurations in ").append(CONF_DIR).append("/: ").append(String.join(", ", available));
        }
        throw new ConfigException(m.append(".").toString());
    }

    static Config file(File f) {
        try {
            return ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("cannot read configuration " + f.getPath() + ": " + e.getMessage());
        }
    }

    /**
     * {@code key=value} pairs (dotted keys) as a Config whose origin reads "command line". Values stay strings (the
     * typed reader converts them), except {@code null}; surrounding double quotes are removed. Strings are taken
     * verbatim, so URIs with {@code //} need no quoting.
     */
    static Config overrides(List<String> overrides) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (String o : overrides) {
            int eq = o.indexOf('=');
            if (eq <= 0) throw new ConfigException("override '" + o + "' is not key=value (e.g. model.top_k=2 or train.steps=1000)");
            String key = o.substring(0, eq).trim();
            String value = o.substring(eq + 1).trim();
            if (!KEY.matcher(key).matches())
                throw new ConfigException("override '" + o + "': '" + key + "' is not a dotted key (e.g. model.top_k)");
            if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) value = value.substring(1, value.length() - 1);
            else if (value.equals("null")) value = null;
            map.put(key, value);
        }
        try {
            return ConfigFactory.parseMap(map, "command line");
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("invalid command-line overrides " + overrides + ": " + e.getMessage());
        }
    }

    /** overrides over files (last file first) over defaults, resolved. */
    static Config merge(List<Config> files, Config overrides) {
        Config c = overrides;
        for (int i = files.size() - 1; i >= 0; i--) c = c.withFallback(files.get(i));
        c = c.withFallback(defaults());
        try {
            return c.resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("cannot resolve the configuration: " + e.getMessage());
        }
    }
}
