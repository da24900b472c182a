package dev.squint.formats.inspect;

import dev.squint.core.DType;
import dev.squint.core.Model;
import dev.squint.core.Tensor;
import dev.squint.formats.ContainerDetails;
import dev.squint.formats.ModelOpener;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SequencedMap;

/** The library entry point behind {@code squint inspect}. */
public final class Inspector {
    private Inspector() {}

    /**
     * Opens any model squint reads, summarises it and closes it again.
     *
     * @throws dev.squint.core.ModelFormatException if the file is missing or not a readable model
     */
    public static InspectReport inspect(Path path) {
        try (Model model = ModelOpener.open(path)) {
            return of(model);
        }
    }

    /** Summarises an open model (which stays open). */
    public static InspectReport of(Model model) {
        ContainerDetails details = model instanceof ContainerDetails d ? d : null;
        Map<DType, long[]> byType = new LinkedHashMap<>(); // tensors, parameters, bytes
        List<InspectReport.TensorRow> rows = new ArrayList<>(model.tensors().size());
        for (Tensor t : model.tensors()) {
            long[] acc = byType.computeIfAbsent(t.dtype(), k -> new long[3]);
            acc[0]++;
            acc[1] += t.info().elementCount();
            acc[2] += t.byteSize();
            OptionalLong offset = details == null ? OptionalLong.empty() : details.dataOffset(t.name());
            rows.add(new InspectReport.TensorRow(t.name(), t.dtype(), t.shape(), t.byteSize(), offset));
        }
        List<InspectReport.DTypeStats> dtypes = new ArrayList<>();
        byType.forEach((type, acc) -> dtypes.add(new InspectReport.DTypeStats(type, (int) acc[0], acc[1], acc[2])));
        dtypes.sort(Comparator.comparingLong(InspectReport.DTypeStats::bytes).reversed()
                .thenComparing(s -> s.dtype().name()));
        List<InspectReport.MetaEntry> metadata = new ArrayList<>(model.metadata().size());
        model.metadata().asMap().forEach((k, v) -> metadata.add(new InspectReport.MetaEntry(k, v)));
        SequencedMap<String, String> facts = details == null ? new LinkedHashMap<>() : details.containerFacts();
        return new InspectReport(model.container(), model.path(), model.architecture(), model.parameterCount(),
                model.fileSize(), model.tensorBytes(), model.bitsPerWeight(), dtypes, metadata, rows, facts);
    }
}
