package sigmoe.report;

/** A chart drawn to PNG bytes, ready to be written next to report.html. */
public record RenderedChart(ChartFile file, byte[] png) {}
