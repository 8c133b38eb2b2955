// A strict little XML/HTML parser for the tests: any unescaped markup in a text is an error.

export interface Element {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: (Element | string)[];
}

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
};
/** HTML elements that never have a closing tag. */
const VOID = new Set(['meta', 'link', 'br', 'img', 'input', 'hr']);

function decode(text: string): string {
  return text.replace(/&([^;\s&<]*);|&/g, (match, name: string | undefined) => {
    const value = name === undefined ? undefined : ENTITIES[name];
    if (value === undefined) throw new Error(`bad entity ${JSON.stringify(match)}`);
    return value;
  });
}

/**
 * Parses `source` into a tree under a root named `#document`. Throws for an unclosed or
 * mismatched tag, a bare `&`, an unknown entity, or a `<` or `>` outside a tag.
 */
export function parseMarkup(source: string): Element {
  const root: Element = { name: '#document', attributes: {}, children: [] };
  const stack: Element[] = [root];
  const tag =
    /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>|<\?xml[^>]*\?>|<!doctype html>/gi;
  let at = 0;
  const text = (until: number): void => {
    const chunk = source.slice(at, until);
    if (/[<>]/.test(chunk))
      throw new Error(`markup in text: ${JSON.stringify(chunk.slice(0, 80))}`);
    if (chunk !== '') stack.at(-1)!.children.push(decode(chunk));
  };
  for (const match of source.matchAll(tag)) {
    text(match.index);
    at = match.index + match[0].length;
    const [, closing, name, attributeText, selfClosing] = match;
    if (name === undefined) continue; // the XML declaration or doctype
    const lower = name.toLowerCase();
    if (closing === '/') {
      const open = stack.pop();
      if (open === undefined || open.name !== lower) {
        throw new Error(`</${name}> closes <${open?.name}>`);
      }
      continue;
    }
    const attributes: Record<string, string> = {};
    for (const [, key, value] of (attributeText ?? '').matchAll(/([\w:-]+)="([^"]*)"/g)) {
      if (key! in attributes) throw new Error(`duplicate attribute ${key}`);
      attributes[key!] = decode(value!);
    }
    const element: Element = { name: lower, attributes, children: [] };
    stack.at(-1)!.children.push(element);
    if (selfClosing !== '/' && !VOID.has(lower)) stack.push(element);
  }
  text(source.length);
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  return root;
}

/** Every element under `root` (itself included) for which `test` holds, in document order. */
export function findAll(root: Element, test: (element: Element) => boolean): Element[] {
  const found: Element[] = [];
  const visit = (element: Element): void => {
    if (test(element)) found.push(element);
    for (const child of element.children) if (typeof child !== 'string') visit(child);
  };
  visit(root);
  return found;
}

/** Elements with every one of `classes` (space-separated) in their class attribute. */
export function byClass(root: Element, classes: string): Element[] {
  const wanted = classes.split(' ');
  return findAll(root, (element) => {
    const have = (element.attributes.class ?? '').split(/\s+/);
    return wanted.every((name) => have.includes(name));
  });
}

/** The text inside `element`, `<title>` children included. */
export function textOf(element: Element): string {
  return element.children
    .map((child) => (typeof child === 'string' ? child : textOf(child)))
    .join('');
}

/** The text inside `element`, leaving out `<title>` tooltips. */
export function visibleTextOf(element: Element): string {
  return element.children
    .map((child) =>
      typeof child === 'string' ? child : child.name === 'title' ? '' : visibleTextOf(child),
    )
    .join('');
}

/** The `<title>` tooltip directly inside `element`, if any. */
export function titleOf(element: Element): string | undefined {
  const title = element.children.find(
    (child): child is Element => typeof child !== 'string' && child.name === 'title',
  );
  return title === undefined ? undefined : textOf(title);
}
