// The shape explorer of book/explorer.md: what a Keras recurrent layer returns, for any
// configuration, computed in the page from the rules in explorer-data.js. Those rules are
// read off real Keras calls by rnn_lib/explorer.py (python -m rnn_lib.explorer); this script
// applies them exactly as rnn_lib.explorer.explain does, and prints what `python -m rnn_lib`
// prints for the same configuration (the browser check in tests/site compares the two).
// Sizes are BigInt: any size is answered exactly, nothing is allocated.
(function () {
  "use strict";

  const data = window.RNN_EXPLORER_DATA;
  const byId = (id) => document.getElementById(id);
  const NO_BIDIRECTIONAL = data.merge_choices[0];

  // Python's tuple repr: (3, 5, 4), (7,)
  function tupleText(values) {
    return "(" + values.join(", ") + (values.length === 1 ? ",)" : ")");
  }

  // rnn_lib.shapes._wrap: join items with ", " after `first`, wrap at item boundaries.
  function wrap(items, first, indent, width) {
    const lines = [first];
    items.forEach((item, position) => {
      const piece = item + (position < items.length - 1 ? "," : "");
      const last = lines.length - 1;
      if (lines[last] === first) {
        lines[last] += piece;
      } else if (lines[last].length + 1 + piece.length > width) {
        lines.push(" ".repeat(indent) + piece);
      } else {
        lines[last] += " " + piece;
      }
    });
    return lines;
  }

  // rnn_lib.shapes.describe_layer's text, as the items _wrap receives.
  function header(config, layer) {
    const python = (flag) => (flag ? "True" : "False");
    let inner = [String(config.units)];
    if (layer.conv) {
      const rank = layer.axes.length - 3;
      inner.push("kernel_size=" + tupleText(Array(rank).fill(String(config.kernelSize))));
      inner.push("padding='" + config.padding + "'");
    }
    const flags = [
      "return_sequences=" + python(config.returnSequences),
      "return_state=" + python(config.returnState) + ")",
    ];
    if (config.merge === NO_BIDIRECTIONAL) {
      return wrap([...inner, ...flags], config.kind + "(", config.kind.length + 1, data.line_width);
    }
    const mode = config.merge === "None" ? "None" : "'" + config.merge + "'";
    const wrapped = config.kind + "(" + inner.join(", ") + ")";
    return wrap(
      [wrapped, "merge_mode=" + mode, ...flags],
      "Bidirectional(",
      "Bidirectional(".length,
      data.line_width,
    );
  }

  // One positive integer, as a BigInt; an error message naming the field otherwise.
  function positive(name, text, field) {
    const trimmed = text.trim();
    if (!/^[0-9]+$/.test(trimmed) || BigInt(trimmed) < 1n) {
      throw fieldError(field, name + ": expected an integer >= 1, got '" + text + "'");
    }
    return BigInt(trimmed);
  }

  // The sizes typed in the input shape field: spaces or commas between them; brackets, as in a
  // pasted (3, 5, 2) or [3, 5, 2], are ignored.
  function sizeTokens(text) {
    return text.replace(/[()[\]]/g, " ").trim().split(/[\s,]+/).filter((size) => size !== "");
  }

  // An error that names the control to mark as invalid.
  function fieldError(field, message) {
    const error = new Error(message);
    error.field = field;
    return error;
  }

  // rnn_lib.explorer.explain: the named shapes, the parameter count, the sections.
  function explain(config) {
    const layer = data.layers[config.kind];
    const sizes = { units: config.units };
    const given = sizeTokens(config.inputShape);
    if (given.length !== layer.axes.length) {
      throw fieldError(
        "inputShape",
        "input shape: expected " + layer.axes.length + " sizes (" + layer.axes.join(", ") +
          ") for " + config.kind + ", got " + given.length,
      );
    }
    layer.axes.forEach((axis, position) => {
      sizes[axis] = positive("input shape " + axis, given[position], "inputShape");
    });
    const kernel = layer.conv ? config.kernelSize : 1n;
    if (layer.conv && config.padding === "valid") {
      for (const axis of layer.axes.slice(2, -1)) {
        if (sizes[axis] < kernel) {
          throw fieldError(
            "inputShape",
            "input shape " + axis + ": expected >= kernel_size " + kernel +
              " with padding 'valid', got " + sizes[axis],
          );
        }
      }
    }
    const key = [
      config.returnSequences ? 1 : 0,
      config.returnState ? 1 : 0,
      config.merge,
      layer.conv ? config.padding : "",
    ].join("|");
    const [container, returned] = layer.returns[key];
    const named = returned.map(([name, rules]) => [
      name,
      rules.map(([axis, times, shrink]) =>
        BigInt(times) * sizes[axis] - BigInt(shrink) * (kernel - 1n),
      ),
    ]);
    const rule = layer.parameters;
    const volume = kernel ** BigInt(rule.volume_axes);
    const features = sizes[layer.axes[layer.axes.length - 1]];
    let parameters =
      BigInt(rule.gates) * config.units *
      (volume * (features + config.units) + BigInt(rule.bias_terms));
    if (config.merge !== NO_BIDIRECTIONAL) parameters *= 2n;
    return { layer, container, named, parameters, topics: topics(config, layer) };
  }

  // rnn_lib.explorer._topics: which chapter sections explain this configuration.
  function topics(config, layer) {
    const found = layer.conv ? ["conv"] : [];
    if (config.merge !== NO_BIDIRECTIONAL) {
      found.push("bidirectional");
      if (config.returnState) found.push("bidirectional_state");
    } else {
      found.push(config.returnSequences ? "sequences" : "default");
      if (config.returnState) found.push("state");
    }
    found.push("parameters");
    return found;
  }

  // What `python -m rnn_lib` prints for the configuration.
  function resultText(config, result) {
    const count = result.named.length;
    const kind = result.container === "tensor" ? "one tensor" : "a " + result.container + " of " + count;
    const width = Math.max(...result.named.map(([name]) => name.length));
    const rows = result.named.map(([name, shape]) => "  " + name.padEnd(width) + "  " + tupleText(shape));
    return [
      ...header(config, result.layer),
      "returns " + kind + ":",
      ...rows,
      "parameters: " + result.parameters.toLocaleString("en-US"),
    ].join("\n");
  }

  function command(config, layer) {
    const parts = ["python -m rnn_lib", config.kind, "--units", String(config.units)];
    if (config.returnSequences) parts.push("--return-sequences");
    if (config.returnState) parts.push("--return-state");
    if (config.merge !== NO_BIDIRECTIONAL) parts.push("--merge-mode", config.merge.toLowerCase());
    if (layer.conv) parts.push("--kernel-size", String(config.kernelSize), "--padding", config.padding);
    parts.push("--input-shape", ...sizeTokens(config.inputShape).map((size) => BigInt(size)));
    return parts.join(" ");
  }

  const controls = {
    kind: byId("explorer-layer"),
    units: byId("explorer-units"),
    returnSequences: byId("explorer-return-sequences"),
    returnState: byId("explorer-return-state"),
    merge: byId("explorer-merge"),
    inputShape: byId("explorer-input-shape"),
    kernelSize: byId("explorer-kernel-size"),
    padding: byId("explorer-padding"),
  };

  // Recompute and redraw. `announce` (on a committed change, not on every keystroke) also
  // updates the one-line status that screen readers read out.
  function show(announce) {
    const layer = data.layers[controls.kind.value];
    byId("explorer-axes").textContent =
      "(" + layer.axes.join(", ") + "): sizes separated by spaces or commas";
    for (const element of document.querySelectorAll(".explorer-conv")) {
      element.hidden = !layer.conv;
    }
    for (const control of Object.values(controls)) control.removeAttribute("aria-invalid");
    const error = byId("explorer-error");
    let status;
    try {
      const config = {
        kind: controls.kind.value,
        units: positive("units", controls.units.value, "units"),
        returnSequences: controls.returnSequences.checked,
        returnState: controls.returnState.checked,
        merge: controls.merge.value,
        inputShape: controls.inputShape.value,
        kernelSize: layer.conv ? positive("kernel_size", controls.kernelSize.value, "kernelSize") : 1n,
        padding: controls.padding.value,
      };
      const result = explain(config);
      byId("explorer-result").textContent = resultText(config, result);
      byId("explorer-command").textContent = command(config, layer);
      const tooBig = result.parameters > BigInt(data.max_weights);
      byId("explorer-too-big").hidden = !tooBig;
      const links = byId("explorer-sections");
      links.replaceChildren();
      for (const topic of result.topics) {
        const section = data.sections[topic];
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = "../" + section.page + ".html#" + section.anchor;
        link.textContent = section.title;
        item.append(link);
        links.append(item);
      }
      error.textContent = "";
      error.hidden = true;
      byId("explorer-output").hidden = false;
      const count = result.named.length;
      status = (result.container === "tensor" ? "Returns one tensor: " : "Returns a " +
        result.container + " of " + count + ": ") +
        result.named.map(([name, shape]) => name + " " + tupleText(shape)).join(", ") +
        "; " + result.parameters.toLocaleString("en-US") + " parameters.";
    } catch (problem) {
      error.textContent = problem.message;
      error.hidden = false;
      if (problem.field) controls[problem.field].setAttribute("aria-invalid", "true");
      byId("explorer-output").hidden = true;
      status = "Error: " + problem.message;
    }
    if (announce) byId("explorer-status").textContent = status;
  }

  function start() {
    for (const kind of data.kinds) {
      controls.kind.add(new Option(kind, kind, kind === "LSTM", kind === "LSTM"));
    }
    for (const merge of data.merge_choices) {
      const label = merge === NO_BIDIRECTIONAL ? merge : "Bidirectional, merge_mode=" +
        (merge === "None" ? "None" : "'" + merge + "'");
      controls.merge.add(new Option(label, merge));
    }
    let axes = data.layers[controls.kind.value].axes.length;
    controls.kind.addEventListener("change", () => {
      // A layer that reads another number of axes starts from its own default input shape.
      const layer = data.layers[controls.kind.value];
      if (layer.axes.length !== axes) {
        controls.inputShape.value = layer.default_input_shape.join(" ");
        axes = layer.axes.length;
      }
    });
    const form = byId("explorer-form");
    form.addEventListener("input", () => show(false));
    form.addEventListener("change", () => show(true));
    form.addEventListener("submit", (event) => event.preventDefault());
    controls.inputShape.value = data.layers[controls.kind.value].default_input_shape.join(" ");
    show(false);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
