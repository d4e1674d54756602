/** The project configuration's file name, looked for in the working directory (apart, so checking for it loads no parser). */
export const CONFIG_FILE_NAME = 'envsnap.yaml';
