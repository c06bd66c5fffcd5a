// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A JSON object written on one line, fields in insertion order. Enough for the CLI's {@code --json} results (one
 * object per line, like `jq -c` output) without a JSON dependency. Values: null, Boolean, Number, String, Json,
 * Map, Collection, Optional, and enums (their lowercase name).
 */
public final class Json {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    /** An empty object; {@link #object()} reads better at call sites. */
    public Json() {}

    /** {@return a new, empty object} */
    public static Json object() { return new Json(); }

    /**
     * Adds a field (replacing one of the same name, keeping its position).
     *
     * @param key   the field name
     * @param value one of the value types listed above
     * @return this object
     */
    public Json put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    /**
     * An unsigned 64-bit value (gfns, handles, page counts): written as its unsigned decimal.
     *
     * @param key   the field name
     * @param value the value, read as unsigned
     * @return this object
     */
    public Json putUnsigned(String key, long value) {
        fields.put(key, new Unsigned(value));
        return this;
    }

    /**
     * A field's value as it was put.
     *
     * @param key the field name
     * @return the value, or null when absent
     */
    public Object get(String key) { return fields.get(key); }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        write(sb, this);
        return sb.toString();
    }

    private record Unsigned(long value) {}

    static void write(StringBuilder sb, Object v) {
        switch (v) {
            case null -> sb.append("null");
            case Json j -> {
                sb.append('{');
                boolean first = true;
                for (var e : j.fields.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    string(sb, e.getKey());
                    sb.append(':');
                    write(sb, e.getValue());
                }
                sb.append('}');
            }
            case Map<?, ?> m -> {
                Json j = new Json();
                m.forEach((k, val) -> j.put(String.valueOf(k), val));
                write(sb, j);
            }
            case Collection<?> c -> {
                sb.append('[');
                boolean first = true;
                for (Object o : c) {
                    if (!first) sb.append(',');
                    first = false;
                    write(sb, o);
                }
                sb.append(']');
            }
            case Optional<?> o -> write(sb, o.orElse(null));
            case Unsigned u -> sb.append(Long.toUnsignedString(u.value()));
            case Boolean b -> sb.append(b);
            case Double d when d.isNaN() || d.isInfinite() -> sb.append("null");
            case Float f when f.isNaN() || f.isInfinite() -> sb.append("null");
            case Number n -> sb.append(n);
            case Enum<?> e -> string(sb, e.name().toLowerCase(java.util.Locale.ROOT));
            default -> string(sb, v.toString());
        }
    }

    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
