package dev.squint.report;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where {@link Reports#write} puts each report file; an empty target is not written.
 *
 * @param markdown the Markdown file ({@code --markdown FILE})
 * @param json     the JSON file ({@code --json FILE})
 * @param html     the self-contained HTML page ({@code --html FILE})
 */
public record ReportTargets(Optional<Path> markdown, Optional<Path> json, Optional<Path> html) {
    public ReportTargets {
        markdown = Objects.requireNonNullElse(markdown, Optional.empty());
        json = Objects.requireNonNullElse(json, Optional.empty());
        html = Objects.requireNonNullElse(html, Optional.empty());
    }

    /** No files: the report goes to the terminal only. */
    public static ReportTargets none() {
        return new ReportTargets(Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** Targets from nullable paths (as picocli leaves unset options). */
    public static ReportTargets of(Path markdown, Path json, Path html) {
        return new ReportTargets(Optional.ofNullable(markdown), Optional.ofNullable(json), Optional.ofNullable(html));
    }

    public boolean isEmpty() {
        return markdown.isEmpty() && json.isEmpty() && html.isEmpty();
    }
}
