package sigmoe.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sigmoe.data.Corpus;
import sigmoe.data.Vocabulary;
import sigmoe.data.WordTokenizer;
import sigmoe.eval.LoadedModel;
import sigmoe.generate.Generator;
import sigmoe.generate.PromptCodec;
import sigmoe.generate.Sampler;
import sigmoe.nn.Rng;

/** {@code sigmoe generate}: continues a prompt by sampling from a checkpoint, with Transformer-XL memory. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Continues a prompt with text sampled from a model checkpoint. The prompt is tokenized with the "
                + "corpus's tokenizer (word: whitespace words, unknown ones become <unk>, a line break is <eos>; byte: "
                + "UTF-8 bytes), fed through the model segment by segment, then tokens are drawn one at a time, each "
                + "seeing the XL memory of the previous --memory tokens. Sampling: temperature (0 = greedy), then top-k, "
                + "then top-p; the same --seed gives the same text.",
                "Prints the generated text, then as the last line a JSON object with prompt, text, tokens (the number "
                + "generated), ids and the settings used."})
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, paramLabel = "URI", description = "model checkpoint (.safetensors)")
    String checkpoint;

    @Option(names = "--data", required = true, paramLabel = "URI", description = "the prepared corpus the model was trained on (for its tokenizer)")
    String data;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT",
            description = "text to continue; word level: an empty prompt starts a new line (<eos>)")
    String prompt;

    @Option(names = "--tokens", paramLabel = "N", defaultValue = "100", description = "tokens to generate (default ${DEFAULT-VALUE})")
    int tokens;

    @Option(names = "--temperature", paramLabel = "t", defaultValue = "1.0", description = "softmax temperature, 0 = greedy (default ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-k", paramLabel = "k", defaultValue = "0", description = "keep the k most likely tokens, 0 = all (default ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", paramLabel = "p", defaultValue = "1.0",
            description = "keep the smallest most-likely set with probability >= p, 1 = all (default ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--seed", paramLabel = "s", defaultValue = "1", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--segment", paramLabel = "T", defaultValue = "0",
            description = "prompt chunk length; default: the checkpoint's segment_length metadata, else 256")
    int segment;

    @Option(names = "--memory", paramLabel = "N", defaultValue = "-1",
            description = "tokens of XL memory each step sees (default: 4 segments, the paper's evaluation memory)")
    int memory;

    @Override
    public Integer call() {
        if (tokens < 0) throw new Main.UserError("--tokens must be >= 0 (got " + tokens + ")", true, null);
        if (segment < 0) throw new Main.UserError("--segment must be >= 1 (got " + segment + ")", true, null);
        if (memory < -1) throw new Main.UserError("--memory must be >= 0 (got " + memory + ")", true, null);
        Sampler sampler;
        try {
            sampler = new Sampler(temperature, topK, topP);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(e.getMessage().replace("temperature", "--temperature").replace("top-k", "--top-k")
                    .replace("top-p", "--top-p"), true, e);
        }
        Configuration hadoop = new Configuration();
        LoadedModel m = EvalCommand.load(checkpoint, hadoop);
        Corpus corpus = EvalCommand.corpus(data, hadoop);
        EvalCommand.checkVocabulary(m, corpus);
        int t = EvalCommand.segment(m, segment);
        int mem = memory >= 0 ? memory : 4 * t;
        PromptCodec codec;
        PromptCodec.Encoded enc;
        try {
            codec = new PromptCodec(corpus.tokenizerKind(), corpus.vocabulary());
            enc = codec.encode(prompt);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError("--prompt: " + e.getMessage(), true, e);
        }
        int[] ids = enc.ids();
        if (ids.length == 0) {
            if (!codec.kind().equals(WordTokenizer.KIND))
                throw new Main.UserError("--prompt is empty: give at least one character to continue", true, null);
            ids = new int[] {corpus.vocabulary().id(Vocabulary.EOS)}; // start of a line
        }
        PrintWriter out = spec.commandLine().getOut();
        if (!enc.unknown().isEmpty())
            out.println("generate: not in the vocabulary, read as " + Vocabulary.UNK + ": " + String.join(" ", enc.unknown()));

        long start = System.nanoTime();
        int[] gen = new Generator(m.model, t, mem).generate(ids, tokens, sampler, new Rng(seed), null);
        double seconds = (System.nanoTime() - start) / 1e9;
        String text = codec.decode(gen, 0, gen.length);
        out.println(text);

        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("checkpoint", checkpoint);
        o.put("prompt", prompt);
        o.put("prompt_tokens", ids.length);
        o.put("text", text);
        o.put("tokens", gen.length);
        ArrayNode a = o.putArray("ids");
        for (int id : gen) a.add(id);
        o.put("seed", seed);
        o.put("temperature", temperature);
        o.put("top_k", topK);
        o.put("top_p", topP);
        o.put("segment", t);
        o.put("memory", mem);
        o.put("seconds", Math.round(seconds * 1000) / 1000.0);
        try {
            out.println(new ObjectMapper().writeValueAsString(o));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
        return Main.EXIT_OK;
    }
}
