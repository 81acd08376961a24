package ai.vq4j.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.util.List;

/**
 * What every kind of prior config holds: the codes it models (K codes on a gridSize x gridSize grid, the classes
 * it is conditioned on) and its seed, with the range check and the JSON a prior checkpoint stores. Plain fields
 * so that they serialise with the kind's own.
 *
 * <p>The JSON's field order is a file format (checkpoints written before this class existed hold it), and Gson
 * would write these fields after the subclass's: {@link #toJson()} writes them in {@link #jsonOrder()}.
 */
public abstract class BasePriorConfig implements PriorConfig {
  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

  /** K: the number of codes (the VQ-VAE's codebook size). */
  public int numCodes = 512;
  /** The code grid is gridSize x gridSize (the VQ-VAE's latent size). */
  public int gridSize = 8;
  /** 0: unconditioned; otherwise the prior is conditioned on class labels 0..numClasses-1. */
  public int numClasses = 0;
  public long seed = 1;

  @Override
  public int numCodes() {
    return numCodes;
  }

  @Override
  public int gridSize() {
    return gridSize;
  }

  @Override
  public int numClasses() {
    return numClasses;
  }

  @Override
  public void fitCodes(int numCodes, int gridSize, int numClasses) {
    this.numCodes = numCodes;
    this.gridSize = gridSize;
    this.numClasses = numClasses;
  }

  /** How messages name this kind of config ("prior config field ..."). */
  abstract String name();

  /** Every field's JSON key, in the order prior checkpoints store them. */
  abstract List<String> jsonOrder();

  /** An IllegalArgumentException naming the field unless min <= value <= max. */
  final void range(String field, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name() + " field " + field + " must be in " + min + ".." + max + ", got "
          + value);
    }
  }

  @Override
  public final String toJson() {
    JsonObject fields = GSON.toJsonTree(this).getAsJsonObject();
    JsonObject ordered = new JsonObject();
    for (String key : jsonOrder()) {
      JsonElement value = fields.remove(key);
      if (value == null) {
        throw new IllegalStateException(getClass().getSimpleName() + ".jsonOrder() names " + key + ", not a field");
      }
      ordered.add(key, value);
    }
    if (!fields.keySet().isEmpty()) {
      throw new IllegalStateException(getClass().getSimpleName() + ".jsonOrder() leaves out " + fields.keySet());
    }
    return GSON.toJson(ordered);
  }

  /** Parses and validates a config of the given kind; a malformed document names what is wrong. */
  static <C extends BasePriorConfig> C parse(String json, Class<C> kind, String name) {
    C c;
    try {
      c = GSON.fromJson(json, kind);
    } catch (JsonParseException e) {
      throw new IllegalArgumentException(name + " is not valid JSON: " + e.getMessage(), e);
    }
    if (c == null) {
      throw new IllegalArgumentException(name + " is empty");
    }
    c.validate();
    return c;
  }
}
