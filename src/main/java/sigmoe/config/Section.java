package sigmoe.config;

import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One section of the merged configuration ({@code model}, {@code train}) read with strict keys and typed values.
 * Every error names the dotted key, the value, where the value came from (file and line, or the command line) and
 * what is valid. Command-line overrides arrive as strings, so numbers and booleans are also parsed from strings.
 */
final class Section {
    final String name;
    private final ConfigObject obj;

    private Section(String name, ConfigObject obj) {
        this.name = name;
        this.obj = obj;
    }

    /** The section, after checking that it is an object and holds only {@code validKeys}. */
    static Section of(String name, ConfigObject root, List<String> validKeys, Map<String, List<String>> otherSections) {
        ConfigValue v = root.get(name);
        if (v == null) throw new ConfigException("the configuration has no '" + name + "' section");
        if (v.valueType() != ConfigValueType.OBJECT)
            throw new ConfigException("'" + name + "' must be a section { ... } (" + origin(v) + "), found " + describe(v));
        ConfigObject o = (ConfigObject) v;
        for (String k : o.keySet()) if (!validKeys.contains(k)) throw unknownKey(name, k, o.get(k), validKeys, otherSections);
        return new Section(name, o);
    }

    /** Error for an unknown key: the closest valid key, a same-named key of another section, and the valid list. */
    static ConfigException unknownKey(String section, String key, ConfigValue v, List<String> validKeys,
                                      Map<String, List<String>> otherSections) {
        String full = section == null ? key : section + "." + key;
        StringBuilder m = new StringBuilder("unknown key '").append(full).append("'");
        if (v != null) m.append(" (").append(origin(v)).append(")");
        String closest = closest(key, validKeys);
        String elsewhere = null;
        for (Map.Entry<String, List<String>> e : otherSections.entrySet())
            if (!e.getKey().equals(section) && e.getValue().contains(key)) elsewhere = e.getKey() + "." + key;
        if (elsewhere != null) m.append("; did you mean '").append(elsewhere).append("'?");
        else if (closest != null) m.append("; did you mean '").append(section == null ? "" : section + ".").append(closest).append("'?");
        m.append(" Valid keys").append(section == null ? " at the top level" : " of '" + section + "'").append(": ")
                .append(String.join(", ", validKeys)).append(".");
        return new ConfigException(m.toString());
    }

    private ConfigValue value(String key) {
        ConfigValue v = obj.get(key);
        if (v == null || v.valueType() == ConfigValueType.NULL)
            throw new ConfigException(key(key) + " is not set" + (v == null ? "" : " (null at " + origin(v) + ")") + "; it needs a value");
        return v;
    }

    boolean isNull(String key) {
        ConfigValue v = obj.get(key);
        return v == null || v.valueType() == ConfigValueType.NULL;
    }

    long getLong(String key) {
        ConfigValue v = value(key);
        Object u = v.unwrapped();
        if (u instanceof Integer || u instanceof Long) return ((Number) u).longValue();
        String text = String.valueOf(u).trim();
        if (u instanceof Number || v.valueType() == ConfigValueType.STRING) {
            try {
                return Long.parseLong(text.replace("_", ""));
            } catch (NumberFormatException e) {
                try {
                    double d = Double.parseDouble(text);       // 1e5 and 100000.0 are whole numbers too
                    if (d == Math.rint(d) && Math.abs(d) < 0x1p63) return (long) d;
                } catch (NumberFormatException ignored) {
                    // fall through to the error
                }
            }
        }
        throw wrongType(key, v, "a whole number");
    }

    int getInt(String key) {
        long l = getLong(key);
        if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) throw wrongType(key, obj.get(key), "a whole number in the int range");
        return (int) l;
    }

    double getDouble(String key) {
        ConfigValue v = value(key);
        Object u = v.unwrapped();
        if (u instanceof Number) return ((Number) u).doubleValue();
        if (v.valueType() == ConfigValueType.STRING) {
            try {
                return Double.parseDouble(((String) u).trim());
            } catch (NumberFormatException ignored) {
                // fall through to the error
            }
        }
        throw wrongType(key, v, "a number");
    }

    boolean getBoolean(String key) {
        ConfigValue v = value(key);
        Object u = v.unwrapped();
        if (u instanceof Boolean) return (Boolean) u;
        if (v.valueType() == ConfigValueType.STRING) {
            switch (((String) u).trim().toLowerCase(java.util.Locale.ROOT)) {
                case "true": case "yes": case "on": return true;
                case "false": case "no": case "off": return false;
                default: break;
            }
        }
        throw wrongType(key, v, "true or false");
    }

    String getString(String key) {
        ConfigValue v = value(key);
        if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) throw wrongType(key, v, "a string");
        return String.valueOf(v.unwrapped());
    }

    /** One of {@code ids} (exact match); the error lists them. */
    String getChoice(String key, List<String> ids) {
        String s = getString(key);
        if (!ids.contains(s)) {
            String closest = closest(s, ids);
            throw new ConfigException(key(key) + " = '" + s + "' (" + origin(obj.get(key)) + ") is not a valid value"
                    + (closest != null ? "; did you mean '" + closest + "'?" : ";") + " Valid values: " + String.join(", ", ids) + ".");
        }
        return s;
    }

    private String key(String key) { return name + "." + key; }

    private ConfigException wrongType(String key, ConfigValue v, String expected) {
        return new ConfigException(key(key) + " = " + describe(v) + " (" + origin(v) + ") is not " + expected + ".");
    }

    static String describe(ConfigValue v) {
        if (v.valueType() == ConfigValueType.STRING) return "'" + v.unwrapped() + "'";
        return v.render(com.typesafe.config.ConfigRenderOptions.concise());
    }

    static String origin(ConfigValue v) {
        String d = v.origin().description();
        return d == null ? "unknown origin" : d;
    }

    /** The valid key closest to {@code s} by edit distance, or null when none is plausibly meant. */
    static String closest(String s, List<String> valid) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String c : valid) {
            int d = editDistance(s.toLowerCase(java.util.Locale.ROOT), c);
            if (d < bestD) { bestD = d; best = c; }
        }
        return bestD <= Math.max(2, s.length() / 3) ? best : null;
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }

    static List<String> list(String... keys) { return new ArrayList<>(List.of(keys)); }
}
