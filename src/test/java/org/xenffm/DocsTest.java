// SPDX-License-Identifier: Apache-2.0
package org.xenffm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The documentation stays navigable when files move. Every {@code §} citation in the sources names a section of
 * docs/xen-semantics.md (its numbering is fixed). Every relative link in the Markdown files reaches a file, and an
 * anchor reaches a heading. Nothing names a path outside the repository.
 */
class DocsTest {
    private static final Path ROOT = repositoryRoot();
    private static final Path SPEC = ROOT.resolve("docs/xen-semantics.md");
    /** A section number after §: "3.10", "8.12", "4"; an en dash range "§4.5–§4.8" is two citations. */
    private static final Pattern CITATION = Pattern.compile("§(\\d+)(?:\\.(\\d+))?");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern OUTSIDE = Pattern.compile("/work/|shared/research");

    /** The directory holding docs/xen-semantics.md, found upwards from where Maven runs the module's tests. */
    private static Path repositoryRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent())
            if (Files.isRegularFile(p.resolve("docs/xen-semantics.md"))) return p;
        throw new IllegalStateException("docs/xen-semantics.md not found above " + Path.of("").toAbsolutePath());
    }

    /** Hand-written text files: no build output, no Git metadata, no jextract output (those trees are not entered). */
    private static List<Path> sources(String... extensions) {
        List<Path> out = new ArrayList<>();
        try {
            Files.walkFileTree(ROOT, new SimpleFileVisitor<>() {
                @Override public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes a) {
                    String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                    boolean skip = !dir.equals(ROOT) && (name.equals(".git") || name.equals("target")
                            || name.equals("build") || dir.equals(ROOT.resolve("bindings/src")));
                    return skip ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult visitFile(Path file, BasicFileAttributes a) {
                    String name = file.getFileName().toString();
                    if (a.isRegularFile() && !name.equals(".git")
                            && (extensions.length == 0 || Stream.of(extensions).anyMatch(name::endsWith)))
                        out.add(file);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(null);
        return out;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (MalformedInputException e) {
            return null;   // not UTF-8 text (an image, a binary): nothing to check
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The section numbers the spec defines: "3", "3.10" from its headings, "8.1" … from the §8 scenario table. */
    static Set<String> specSections(String spec) {
        Set<String> out = new HashSet<>();
        Matcher h = Pattern.compile("(?m)^#{2,3} (\\d+)\\.(\\d+)?").matcher(spec);
        while (h.find()) out.add(h.group(2) == null ? h.group(1) : h.group(1) + "." + h.group(2));
        String scenarios = spec.substring(spec.indexOf("## 8."), spec.indexOf("## 9."));
        Matcher row = Pattern.compile("(?m)^\\| (\\d+) \\|").matcher(scenarios);
        while (row.find()) out.add("8." + row.group(1));
        return out;
    }

    @Test void theSpecKeepsItsNumbering() throws IOException {
        Set<String> s = specSections(Files.readString(SPEC));
        for (String must : List.of("0", "1", "2", "3.1", "3.13", "4.1", "4.10", "5.4", "6.3", "7.6", "8.1", "8.32"))
            assertTrue(s.contains(must), "docs/xen-semantics.md lost §" + must);
        for (int i = 1; i <= 32; i++) assertTrue(s.contains("8." + i), "§8 lost scenario " + i);
    }

    @Test void everySectionCitationExists() throws IOException {
        Set<String> sections = specSections(Files.readString(SPEC));
        List<String> broken = new ArrayList<>();
        for (Path p : sources(".java", ".md", ".sh")) {
            String text = read(p);
            if (text == null) continue;
            String[] lines = text.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                Matcher m = CITATION.matcher(lines[i]);
                while (m.find()) {
                    String sec = m.group(2) == null ? m.group(1) : m.group(1) + "." + m.group(2);
                    if (!sections.contains(sec)) broken.add(ROOT.relativize(p) + ":" + (i + 1) + " §" + sec);
                }
            }
        }
        assertEquals(List.of(), broken, "citations of sections docs/xen-semantics.md does not have");
    }

    /** The text of one numbered section of the spec ("3.3"), up to the next heading. */
    static String section(String spec, String number) {
        Matcher h = Pattern.compile("(?m)^#{2,3} " + Pattern.quote(number) + "[ .]").matcher(spec);
        if (!h.find()) return "";
        Matcher next = Pattern.compile("(?m)^#{2,3} ").matcher(spec);
        return spec.substring(h.start(), next.find(h.end()) ? next.start() : spec.length());
    }

    @Test void everyStepAndRuleCitationExists() throws IOException {
        String spec = Files.readString(SPEC);
        Pattern stepCitation = Pattern.compile("§(\\d+\\.\\d+) (?:step|rule) (\\d+)");
        List<String> broken = new ArrayList<>();
        for (Path p : sources(".java", ".md")) {
            String text = read(p);
            if (text == null) continue;
            Matcher m = stepCitation.matcher(text);
            while (m.find()) {
                String sec = section(spec, m.group(1));
                // a step is a table row "| N |" or a list item "N. " of that section
                if (!Pattern.compile("(?m)^(\\| " + m.group(2) + " \\||" + m.group(2) + "\\. )").matcher(sec).find())
                    broken.add(ROOT.relativize(p) + ": " + m.group());
            }
        }
        assertEquals(List.of(), broken, "step or rule citations the spec's section does not number");
    }

    /** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
    static String anchor(String heading) {
        return heading.strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    @Test void anchorsFollowGitHub() {
        assertEquals("the-cli-at-a-glance", anchor("The CLI at a glance"));
        assertEquals("410-mem_sharing-and-altp2m-together-the-rules-that-result",
                anchor("4.10 mem_sharing and altp2m together: the rules that result"));
        assertEquals("the-xenffm-command-line", anchor("The `xenffm` command line"));
    }

    @Test void everyRelativeLinkReachesItsTarget() {
        List<String> broken = new ArrayList<>();
        for (Path md : sources(".md")) {
            String text = read(md);
            if (text == null) continue;
            Matcher m = LINK.matcher(withoutCode(text));
            while (m.find()) {
                String link = m.group(1);
                if (link.matches("[a-z]+:.*")) continue;   // http:, https:, mailto:
                int hash = link.indexOf('#');
                String file = hash < 0 ? link : link.substring(0, hash);
                Path target = file.isEmpty() ? md : md.getParent().resolve(file).normalize();
                if (!target.startsWith(ROOT) || !Files.exists(target)) {
                    broken.add(ROOT.relativize(md) + ": " + link);
                    continue;
                }
                if (hash >= 0 && Files.isRegularFile(target) && target.toString().endsWith(".md")) {
                    String want = link.substring(hash + 1);
                    boolean found = read(target).lines().filter(l -> l.startsWith("#"))
                            .anyMatch(l -> anchor(l.replaceFirst("^#+", "")).equals(want));
                    if (!found) broken.add(ROOT.relativize(md) + ": " + link + " (no such heading)");
                }
            }
        }
        assertEquals(List.of(), broken, "Markdown links that lead nowhere");
    }

    /** Cells of a Markdown table row: the unescaped pipes, as GitHub counts them (a pipe in code must be escaped). */
    static int pipes(String row) {
        int n = 0;
        for (int i = 0; i < row.length(); i++) if (row.charAt(i) == '|' && (i == 0 || row.charAt(i - 1) != '\\')) n++;
        return n;
    }

    /** The text with every fenced code block blanked out, line numbers kept. */
    static String withoutCode(String text) {
        Matcher m = Pattern.compile("(?s)```.*?```").matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, "\n".repeat((int) m.group().chars().filter(c -> c == '\n').count()));
        return m.appendTail(out).toString();
    }

    @Test void everyTableRowHasItsHeadersCells() {
        List<String> broken = new ArrayList<>();
        for (Path md : sources(".md")) {
            String text = read(md);
            if (text == null) continue;
            List<String> lines = withoutCode(text).lines().toList();
            for (int i = 0; i + 1 < lines.size(); i++) {
                if (!lines.get(i).startsWith("|") || !lines.get(i + 1).matches("\\|[-:| ]+\\|")) continue;
                int cells = pipes(lines.get(i));
                int j = i + 2;
                for (; j < lines.size() && lines.get(j).startsWith("|"); j++)
                    if (pipes(lines.get(j)) != cells) broken.add(ROOT.relativize(md) + ":" + (j + 1));
                i = j - 1;
            }
        }
        assertEquals(List.of(), broken, "table rows whose cells do not match the header (a merge that split a row?)");
    }

    @Test void nothingNamesAPathOutsideTheRepository() {
        List<String> hits = new ArrayList<>();
        for (Path p : sources()) {
            if (p.getFileName().toString().equals("DocsTest.java")) continue;   // the pattern itself
            String text = read(p);
            if (text != null && OUTSIDE.matcher(text).find()) hits.add(ROOT.relativize(p).toString());
        }
        assertEquals(List.of(), hits, "files that name a path outside the repository");
    }

    @Test void theChecksCatchWhatTheyAreFor() {
        Set<String> s = specSections("## 3. a\n### 3.10 b\n## 8. Scenarios\n| 12 | x |\n## 9. c\n");
        assertTrue(s.containsAll(Set.of("3", "3.10", "8.12")));
        assertFalse(s.contains("3.11"));
        assertFalse(s.contains("8.13"));
        assertTrue(OUTSIDE.matcher("see ../shared/research/x.md").find());
        String spec = "### 3.3 a\n| 5 | x |\n### 3.4 b\n1. y\n";
        assertTrue(section(spec, "3.3").contains("| 5 |"));
        assertFalse(section(spec, "3.3").contains("1. y"));
        assertEquals("", section(spec, "3.5"));
        assertEquals(3, pipes("| `a\\|b` | c |"));
        assertEquals("a\n\n\nb", withoutCode("a\n```\n|x|\n```b"));
    }
}
