package sigmoe.report;

/**
 * One chart of the report as the page refers to it.
 *
 * @param fileName the PNG's name inside the report directory
 * @param title    the heading shown above it
 * @param alt      the image's alt text: what the chart plots, for readers who cannot see it
 * @param width    pixel width of the PNG
 * @param height   pixel height of the PNG
 */
public record ChartFile(String fileName, String title, String alt, int width, int height) {}
