/** The builder: git receive, builds in containers of the stack, images, releases. */
export { startBuilder, type BuilderOptions, type RunningBuilder } from './start';
export { builderSettings, type BuilderSettings } from './settings';
export { STACK_NAME } from './build';
export { publishImage, setPublishTarget, type PublishTarget } from './publish-image';
