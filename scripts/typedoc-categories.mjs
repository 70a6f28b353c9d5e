// A typedoc plugin that sorts the API site's symbols into sections by the source folder they come
// from, so that the reference reads by area (readiness, sockets, queues, ...) instead of as one
// A-Z list, without a @category tag on every export. A symbol's own @category tag wins.
import { Comment, CommentTag, Converter, ReflectionKind } from "typedoc";

/** Source folder (under src/) → section. typedoc.json's categoryOrder orders the sections. */
const SECTIONS = [
  ["poller", "Readiness: Poller"],
  ["epoll", "Readiness: Epoll"],
  ["kqueue", "Readiness: Kqueue"],
  ["kevent", "Readiness: Kqueue"],
  ["watch", "Watching a descriptor"],
  ["async", "Waiting without blocking"],
  ["sources", "Event sources"],
  ["socket", "Unix sockets"],
  ["framed", "Framed messages"],
  ["ipc", "IPC server and client"],
  ["mqueue", "Message queues"],
  ["core", "Errors, platform and logging"],
  ["testing", "Testing"],
];

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.SomeModule)) {
      for (const child of module.children ?? []) {
        if (child.comment?.getTag("@category") !== undefined) continue;
        // Source paths are relative to the entry points' common folder, src/: the first part is
        // the subsystem's folder.
        const file = child.sources?.[0]?.fileName ?? "";
        const folder = file.replace(/^src\//, "").split("/")[0];
        const section = SECTIONS.find(([name]) => name === folder)?.[1];
        if (section === undefined) continue;
        child.comment ??= new Comment();
        child.comment.blockTags.push(new CommentTag("@category", [{ kind: "text", text: section }]));
      }
    }
  });
}
